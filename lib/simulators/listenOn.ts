import type { Server } from 'node:net';

/** Binds `server` (default: any free port on 127.0.0.1); rejects with the bind error (port in use…). */
export function listenOn(server: Server, port = 0, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The port a listening server is bound to (0 before it is). */
export function boundPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/**
 * Builds what owns `server` with `make`, then binds the server; rejects with what `make` throws
 * (bad options) or with the bind error.
 */
export function startListening<T>(server: Server, make: () => T, port?: number, host?: string): Promise<T> {
  let owner: T;
  try {
    owner = make();
  } catch (err) {
    return Promise.reject(err);
  }
  return listenOn(server, port, host).then(() => owner);
}

/** `scheme://host:port`, without a trailing slash; an IPv6 host goes in brackets. */
export function serverUrl(scheme: 'http' | 'ws', host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
