/**
 * @mosaik/tdx: Intel TDX attestation tickets: provider, parser, verifier and a mock.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
