/**
 * The usage of each simulator, as `simulate pod|casb|devo --help` prints it and `--help` lists it.
 * One home for the flags of the stand-ins: {@link simulateCommand} parses exactly these.
 *
 * @example
 * out(SIMULATE_USAGE.devo);
 */
export const SIMULATE_USAGE = {
  pod: `  proofpoint-devo-collector simulate pod [--port N] [--host H] [--token T] [--cluster C] [--types message,maillog,audit]
        [--rate N] [--total N] [--mode realtime|blast] [--duplicates P] [--disorder N]
        [--drop-every N] [--large-every N] [--malformed-every N]
      The PoD Log API (websocket): auth, 409 on a second session, resume, sinceTime, duplicates...`,
  casb: `  proofpoint-devo-collector simulate casb [--port N] [--host H] [--api-key K] [--client-id I] [--client-secret S]
        [--interval-ms N] [--total N] [--mode realtime|backlog] [--token-ttl S]
        [--rate-limit-every N] [--fail-every N]
      The Proofpoint CASB REST API: auth with expiring tokens, alerts and events pages, 429s, 5xx...`,
  devo: `  proofpoint-devo-collector simulate devo [--port N] [--host H] [--pki DIR | --ca FILE --cert FILE --key FILE | --plain] [--out FILE]
      A Devo-compatible TLS receiver requiring client certificates; writes one line per event (--out).
      --plain: a plain TCP syslog relay instead (as a Devo In-House Relay's port 13000, the default
      port then), for outputs of type syslog, in_house_relay or sidecar without a chain.
      --pki DIR (default demo/certs): keeps the throwaway PKI already in DIR, or writes one when DIR
      holds none (chain.crt, client.crt, client.key for the collector; server.crt, server.key).
      --ca --cert --key: your own files instead: the CA that signs the clients, the server's
      certificate and its key (unencrypted PEM).`,
} as const;

/** A simulator of `simulate`. */
export type SimulatorKind = keyof typeof SIMULATE_USAGE;
