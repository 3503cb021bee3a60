import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';

/** The addresses of a connected TCP socket, as `net.Socket` gives them. */
export interface SocketEndpoints {
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'] as const;

/**
 * Bytes this host's kernel still holds for a TCP connection: written by the process and not yet
 * acknowledged by the peer (Linux: the `tx_queue` of the connection's row in `/proc/net/tcp` or
 * `/proc/net/tcp6`, which stays listed after our FIN). After the socket's own buffer is empty
 * this is the only sign that a slow peer is still reading; `undefined` where it cannot be known
 * (another system, no `/proc`, the connection not found), and never an error.
 *
 * @example
 * const queued = await kernelSendQueue(tlsSocket); // 3_610_624 while a slow relay reads
 */
export async function kernelSendQueue(socket: SocketEndpoints): Promise<number | undefined> {
  const { localPort, remotePort } = socket;
  const local = addressBytes(socket.localAddress);
  const remote = addressBytes(socket.remoteAddress);
  if (local === undefined || remote === undefined || localPort === undefined || remotePort === undefined) return undefined;
  const wantLocal = `${local}:${hexPort(localPort)}`;
  const wantRemote = `${remote}:${hexPort(remotePort)}`;
  for (const table of TABLES) {
    let text: string;
    try {
      text = await readFile(table, 'latin1');
    } catch {
      continue;
    }
    for (const row of text.split('\n')) {
      const fields = row.trim().split(/\s+/);
      if (fields.length < 5) continue;
      if (procEndpoint(fields[1]!) !== wantLocal || procEndpoint(fields[2]!) !== wantRemote) continue;
      const txQueue = Number.parseInt(fields[4]!.split(':')[0]!, 16);
      return Number.isFinite(txQueue) ? txQueue : undefined;
    }
  }
  return undefined;
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** `0100007F:EDDE` (IPv4, little-endian) or 32 hex digits (IPv6, four little-endian words) → 16 bytes in hex, port. */
function procEndpoint(field: string): string | undefined {
  const [address, port] = field.split(':');
  if (address === undefined || port === undefined) return undefined;
  const words = address.match(/.{8}/g);
  if (words === null) return undefined;
  const bytes = words.map((w) => w.match(/../g)!.reverse().join('')).join('');
  return `${bytes.length === 8 ? `00000000000000000000FFFF${bytes}` : bytes}:${port}`;
}

/** A textual IPv4 or IPv6 address → its 16 bytes (IPv4 as `::ffff:a.b.c.d`) in upper-case hex. */
function addressBytes(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const address = text.replace(/%.*$/, '');
  if (isIPv4(address)) return `00000000000000000000FFFF${ipv4Hex(address)}`;
  let groups = address.split(':');
  const last = groups[groups.length - 1] ?? '';
  if (isIPv4(last)) {
    const hex = ipv4Hex(last);
    groups = [...groups.slice(0, -1), hex.slice(0, 4), hex.slice(4)];
  }
  const gap = groups.indexOf('');
  if (gap !== -1) {
    const head = groups.slice(0, gap).filter((g) => g !== '');
    const tail = groups.slice(gap + 1).filter((g) => g !== '');
    groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  }
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => g.toUpperCase().padStart(4, '0')).join('');
}

function ipv4Hex(address: string): string {
  return address
    .split('.')
    .map((octet) => Number(octet).toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}
