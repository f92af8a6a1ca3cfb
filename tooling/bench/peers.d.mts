/** Makes sure a Debian-packaged benchmark peer runs, installing it as root; throws naming the fix otherwise. */
export function requireDebianPeer(peer: {
  binary: string;
  pkg: string;
  versionArgs?: readonly string[];
  log?: (msg: string) => void;
}): void;
