import { isIP } from 'node:net';

/**
 * Which `Host` headers the HTTP endpoint answers, against DNS rebinding (a web page on the same
 * machine whose name is made to resolve to 127.0.0.1 sends its own name as `Host`):
 * - any IP literal (`127.0.0.1:9464`, `[::1]:9464`, a pod IP from a Kubernetes probe): a page
 *   reached by an address cannot have been rebound;
 * - `localhost` (and `*.localhost`, which browsers resolve to loopback themselves);
 * - `names`: the machine's host name, the bound address when it is a name, and
 *   `globals.http_server.allowed_hosts` (e.g. a Compose service or Kubernetes Service name).
 * A request without `Host` (HTTP/1.0) is answered. Names compare without case, a trailing dot
 * or the port.
 *
 * @example
 * const allowed = hostAllowlist(['collector.internal']);
 * allowed('10.1.2.3:9464'); // true
 * allowed('evil.example:9464'); // false
 */
export function hostAllowlist(names: Iterable<string>): (host: string | undefined) => boolean {
  const allowed = new Set([...names].map(normalise).filter((n) => n !== ''));
  return (host) => {
    if (host === undefined) return true;
    const name = hostName(host);
    if (name === undefined) return false;
    return isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || allowed.has(name);
  };
}

/** The name or address of a `Host` header (`[::1]:9464` → `::1`, `Example.COM.:80` → `example.com`), or undefined when malformed. */
function hostName(host: string): string | undefined {
  const trimmed = host.trim();
  if (trimmed.startsWith('[')) {
    const m = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/.exec(trimmed);
    return m !== null && isIP(m[1]!) === 6 ? m[1]!.toLowerCase() : undefined;
  }
  const m = /^([^:\s]+)(?::\d{1,5})?$/.exec(trimmed);
  return m === null ? undefined : normalise(m[1]!);
}

function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
