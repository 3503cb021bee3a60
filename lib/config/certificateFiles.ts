import { readFileSync, statSync } from 'node:fs';

/** The certificate files of an output, by what they are to the TLS connection. */
export interface CertificatePaths {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/**
 * Watches an output's certificate files for the sender (`reloadCredentials`): each call compares
 * their size and modification time with the last ones seen and, when any changed (the files were
 * replaced), reads them all again and returns them; else `undefined`. A file that cannot be read
 * now keeps the last one (the connection then says what is wrong with it).
 */
export function certificateFiles(paths: CertificatePaths): () => { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined {
  const entries = Object.entries(paths).filter((e): e is [keyof CertificatePaths, string] => e[1] !== undefined);
  const stamp = () =>
    entries
      .map(([, file]) => {
        try {
          const s = statSync(file);
          return `${s.size}:${s.mtimeMs}:${s.ino}`;
        } catch {
          return 'unreadable';
        }
      })
      .join('|');
  let seen = stamp();
  return () => {
    const now = stamp();
    if (now === seen) return undefined;
    seen = now;
    const fresh: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
    for (const [what, file] of entries) {
      try {
        fresh[what] = readFileSync(file);
      } catch {
        // Kept as it was: the next change is looked at again.
      }
    }
    return fresh;
  };
}
