import type { CasbClient } from './casbClient';

/**
 * One {@link CasbClient} shared by the services of a CASB input (one api key: one limiter, one
 * token), made on first use and closed when its last user releases it.
 */
export interface SharedCasbClient {
  /** The client, made if needed; each `acquire` needs one `release`. */
  acquire(): CasbClient;
  /** Gives the client back; the last release closes it. */
  release(): Promise<void>;
}

/**
 * A reference-counted {@link SharedCasbClient} around `make`.
 *
 * @example
 * const shared = sharedCasbClient(() => new CasbClient({ baseUrl, apiKey, clientId, clientSecret }));
 * const client = shared.acquire();
 * // ... later
 * await shared.release();
 */
export function sharedCasbClient(make: () => CasbClient): SharedCasbClient {
  let client: CasbClient | undefined;
  let users = 0;
  return {
    acquire() {
      client ??= make();
      users++;
      return client;
    },
    async release() {
      users = Math.max(0, users - 1);
      if (users === 0 && client !== undefined) {
        const closing = client;
        client = undefined;
        await closing.close();
      }
    },
  };
}
