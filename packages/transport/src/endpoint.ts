import { InvalidArgumentError, type SecretKey } from '@mosaik/id';
import { isSocketAddress } from './address.js';
import {
  NativeEndpoint,
  type NativeEndpointType,
  NativeRelayMode,
  nativeString,
  presetMinimal,
  presetN0,
  toNative,
} from './native.js';

/** Which relays the endpoint uses. */
export type RelayMode = 'default' | 'disabled' | { readonly urls: readonly string[] };

/**
 * Endpoint presets, so that tests never reach the internet by accident:
 * - `n0`: n0 relays and address lookup; the default for real deployments.
 * - `local`: no relays, no external services, bound to 127.0.0.1; for tests, demos and single-host setups.
 */
export type TransportPreset = 'n0' | 'local';

/** How to bind the QUIC endpoint. */
export interface EndpointOptions {
  /** The node's identity. */
  readonly secretKey: SecretKey;
  /** Preset; default `n0`. */
  readonly preset?: TransportPreset;
  /** Relay mode; default `default` with `n0`, `disabled` with `local`. */
  readonly relayMode?: RelayMode;
  /** Bind addresses (`host:port`); default all interfaces on a random port (`local`: `127.0.0.1:0`). */
  readonly bindAddrs?: readonly string[];
  /** ALPNs to advertise from the start. */
  readonly alpns?: readonly string[];
}

const PRESETS: readonly TransportPreset[] = ['n0', 'local'];

/**
 * Checks the endpoint options a caller may get wrong (they often come from configuration files),
 * so a typo fails at once with what was expected instead of silently picking a default.
 */
export function checkEndpointOptions(
  options: Pick<EndpointOptions, 'preset' | 'relayMode' | 'bindAddrs'>,
): void {
  const { preset, relayMode, bindAddrs } = options;
  if (preset !== undefined && !PRESETS.includes(preset)) {
    throw new InvalidArgumentError(
      `preset: expected 'n0' (relays and address lookup, the default) or 'local' (one host, no external services); got ${JSON.stringify(preset)}`,
    );
  }
  if (
    relayMode !== undefined &&
    relayMode !== 'default' &&
    relayMode !== 'disabled' &&
    !(
      typeof relayMode === 'object' &&
      relayMode !== null &&
      Array.isArray(relayMode.urls) &&
      relayMode.urls.every((u) => typeof u === 'string' && URL.canParse(u))
    )
  ) {
    throw new InvalidArgumentError(
      `relayMode: expected 'default', 'disabled' or { urls: string[] } with relay URLs; got ${JSON.stringify(relayMode)}`,
    );
  }
  if (bindAddrs !== undefined) {
    if (!Array.isArray(bindAddrs)) {
      throw new InvalidArgumentError(
        `bindAddrs: expected an array of "ip:port" strings; got ${JSON.stringify(bindAddrs)}`,
      );
    }
    for (const [i, addr] of bindAddrs.entries()) {
      if (!isSocketAddress(addr)) {
        throw new InvalidArgumentError(
          `bindAddrs[${i}]: expected "a.b.c.d:port" or "[v6]:port" (port 0 picks a free one); got ${JSON.stringify(addr)}`,
        );
      }
    }
  }
}

/** @internal Binds an iroh endpoint. */
export async function bindEndpoint(options: EndpointOptions): Promise<NativeEndpointType> {
  checkEndpointOptions(options);
  const preset = options.preset ?? 'n0';
  const builder = NativeEndpoint.builder();
  if (preset === 'local') presetMinimal(builder);
  else presetN0(builder);
  builder.secretKey(toNative(options.secretKey.seed));
  builder.relayMode(nativeRelayMode(options.relayMode ?? (preset === 'local' ? 'disabled' : 'default')));
  const bindAddrs = options.bindAddrs ?? (preset === 'local' ? ['127.0.0.1:0'] : []);
  for (const addr of bindAddrs) builder.bindAddr(addr);
  builder.alpns((options.alpns ?? []).map(nativeString));
  return builder.bind();
}

/** True when the relay mode uses no relays, so the node is online as soon as it is bound. */
export function relaysDisabled(options: Pick<EndpointOptions, 'preset' | 'relayMode'>): boolean {
  const mode = options.relayMode ?? (options.preset === 'local' ? 'disabled' : 'default');
  return mode === 'disabled';
}

function nativeRelayMode(mode: RelayMode) {
  if (mode === 'default') return NativeRelayMode.defaultMode();
  if (mode === 'disabled') return NativeRelayMode.disabled();
  return NativeRelayMode.customFromUrls([...mode.urls]);
}
