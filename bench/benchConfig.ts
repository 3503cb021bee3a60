import type { ThrowawayPkiFiles } from '../lib/cli/writeThrowawayPki';
import type { PodEventType } from '../lib/simulators/podEvents';

/** What a bench run configures in the collector's `config.yaml` (the memory table's columns among them). */
export interface BenchConfigOptions {
  /** The Devo relays' ports: one `devo_platform` output each (`devo_1`, `devo_2`, ...), every event to each. */
  readonly relayPorts: readonly number[];
  readonly pki: ThrowawayPkiFiles;
  /** The PoD stand-in (`ws://…`) and its services, one per type. */
  readonly podUrl: string;
  readonly types: readonly PodEventType[];
  readonly multiprocessing?: boolean | undefined;
  readonly dedupMaxKeys?: number | undefined;
  /** `dedup_max_size_in_mb` of every service (default 256). */
  readonly dedupMaxMiB?: number | undefined;
  /** `globals.queue_max_size_in_mb` (default 1024). */
  readonly queueMaxMiB?: number | undefined;
  /** `globals.queue_max_size_in_messages` (default 10 000). */
  readonly queueMaxMessages?: number | undefined;
  /** The CASB stand-in (`http://…`): its two services, alerts and events, are enabled. */
  readonly casbUrl?: string | undefined;
  /** `initial_start_time_in_utc` of the CASB services. */
  readonly casbStart?: string | undefined;
}

/** The collector's `config.yaml` for a bench run. */
export function benchConfig(o: BenchConfigOptions): string {
  const globals = [
    `id: "1"`,
    'name: bench',
    `multiprocessing: ${o.multiprocessing === true}`,
    ...(o.queueMaxMiB === undefined ? [] : [`queue_max_size_in_mb: ${o.queueMaxMiB}`]),
    ...(o.queueMaxMessages === undefined ? [] : [`queue_max_size_in_messages: ${o.queueMaxMessages}`]),
  ];
  const window = [
    ...(o.dedupMaxKeys === undefined ? [] : [`dedup_max_keys: ${o.dedupMaxKeys}`]),
    ...(o.dedupMaxMiB === undefined ? [] : [`dedup_max_size_in_mb: ${o.dedupMaxMiB}`]),
  ];
  const pod = `  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: bench_hosted, api_token: bench }
    override_url_base: ${o.podUrl}
    services:
${o.types.map((t) => `      ${t}: { ${['period_in_seconds: 1', ...window].join(', ')} }`).join('\n')}
`;
  const casbService = `{ ${['request_period_in_seconds: 1', `initial_start_time_in_utc: "${o.casbStart ?? new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z')}"`, ...(o.dedupMaxMiB === undefined ? [] : [`dedup_max_size_in_mb: ${o.dedupMaxMiB}`])].join(', ')} }`;
  const casb =
    o.casbUrl === undefined
      ? ''
      : `  proofpoint_casb:
    id: "1"
    credentials: { api_key: bench, client_id: bench, client_secret: bench }
    override_url_base: ${o.casbUrl}
    services:
      alerts: ${casbService}
      events: ${casbService}
`;
  return `globals: { ${globals.join(', ')} }
outputs:
${o.relayPorts
  .map(
    (port, i) => `  devo_${i + 1}:
    type: devo_platform
    config: { address: localhost, port: ${port}, type: SSL, chain: ${o.pki.chain}, cert: ${o.pki.clientCert}, key: ${o.pki.clientKey}, hostname: bench }`,
  )
  .join('\n')}
inputs:
${pod}${casb}`;
}
