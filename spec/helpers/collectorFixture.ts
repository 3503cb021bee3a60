import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { flattenRecord } from '../../lib/operators/flatten';
import { casbAlert, casbEvent, type CasbTimeline } from '../../lib/simulators/casbRecords';
import { CasbSimulator, type CasbSimulatorOptions } from '../../lib/simulators/casbSimulator';
import { podEventKey } from '../../lib/simulators/podEvents';
import { PodSimulator, type PodSimulatorOptions } from '../../lib/simulators/podSimulator';

/** Secrets the fixtures use: a test greps every output for them. */
export const SECRETS = { podToken: 'pod-token-SECRET-4d2f9a', casbKey: 'casb-key-SECRET-8e1b3c', casbSecret: 'casb-secret-SECRET-7a6c5d' };

/** The environment the fixture config reads its secrets from. */
export const SECRET_ENV = { POD_TOKEN: SECRETS.podToken, CASB_KEY: SECRETS.casbKey, CASB_SECRET: SECRETS.casbSecret };

/** A PoD simulator serving the fixture config's PoD input: token `SECRETS.podToken`, cluster `acme`, message and maillog. */
export function fixturePod(options: Omit<PodSimulatorOptions, 'token' | 'clusterId' | 'types'>): Promise<PodSimulator> {
  return PodSimulator.start({ token: SECRETS.podToken, clusterId: 'acme', types: ['message', 'maillog'], ...options });
}

/** A CASB simulator accepting the fixture config's CASB credentials (`SECRETS.casbKey`, client `c`, `SECRETS.casbSecret`). */
export function fixtureCasb(options: Omit<CasbSimulatorOptions, 'apiKey' | 'clientId' | 'clientSecret'>): Promise<CasbSimulator> {
  return CasbSimulator.start({ apiKey: SECRETS.casbKey, clientId: 'c', clientSecret: SECRETS.casbSecret, ...options });
}

/** Writes a config.yaml for a collector run against local simulators and relay (certificates under ./certs). */
export async function writeCollectorConfig(
  dir: string,
  options: {
    relayPort: number;
    podUrl?: string;
    casbUrl?: string;
    extraOutput?: string;
    stateDirectory?: string;
    hostname?: string;
    multiprocessing?: boolean;
  },
): Promise<void> {
  const pod =
    options.podUrl === undefined
      ? ''
      : `  proofpoint_on_demand:
    id: "7"
    credentials: { cluster_id: acme, api_token: "\${POD_TOKEN}" }
    override_url_base: ${options.podUrl}
    services:
      message: { period_in_seconds: 1 }
      maillog: { period_in_seconds: 1 }
`;
  const casb =
    options.casbUrl === undefined
      ? ''
      : `  proofpoint_casb:
    id: "3"
    credentials: { api_key: "\${CASB_KEY}", client_id: c, client_secret: "\${CASB_SECRET}" }
    override_url_base: ${options.casbUrl}
    requests_per_second: 20
    services:
      alerts: { request_period_in_seconds: 2, initial_start_time_in_utc: "2024-01-01T00:00:00Z" }
      events: { request_period_in_seconds: 2, initial_start_time_in_utc: "2024-01-01T00:00:00Z" }
`;
  await writeFile(
    path.join(dir, 'config.yaml'),
    `globals:
  id: "1"
  name: fixture
${options.multiprocessing === true ? '  multiprocessing: true\n' : ''}${options.stateDirectory === undefined ? '' : `  persistence: { type: filesystem, config: { directory_name: ${JSON.stringify(options.stateDirectory)} } }\n`}outputs:
  devo_1:
    type: devo_platform
    config: { address: localhost, port: ${options.relayPort}, type: SSL, chain: chain.crt, cert: client.crt, key: client.key${options.hostname === undefined ? '' : `, hostname: ${options.hostname}`}${options.extraOutput ?? ''} }
inputs:
${pod}${casb}`,
  );
}

/** The unique key of a CASB record as the pipeline keys it: `eventId` for events, `id` for alerts. */
export function casbRecordKey(body: Record<string, unknown>): string {
  return String('eventId' in body ? body['eventId'] : body['id']);
}

/** How the test relay keys a line: PoD by guid/id, CASB by eventId (events) or id (alerts) and flattening index. */
export function lineKey(body: Record<string, unknown>): unknown {
  return 'ts' in body
    ? (body['guid'] ?? body['id'])
    : `${casbRecordKey(body)}#${String(body['related_events_index'] ?? body['additionalProperties_index'] ?? '-')}`;
}

/** The keys the relay must end up with for `pod` events per PoD service and `casb` records per CASB stream. */
export function expectedKeys(pod: number, casb: number, timeline?: CasbTimeline): Set<string> {
  const keys = new Set<string>();
  for (let i = 0; i < pod; i++) {
    keys.add(podEventKey('message', i));
    keys.add(podEventKey('maillog', i));
  }
  for (let i = 0; i < casb && timeline !== undefined; i++) {
    for (const [parent, field] of [
      [casbAlert(i, timeline), 'related_events'],
      [casbEvent(i, timeline), 'additionalProperties'],
    ] as const) {
      for (const r of flattenRecord(parent, field)) keys.add(`${casbRecordKey(r)}#${String(r[`${field}_index`] ?? '-')}`);
    }
  }
  return keys;
}

/** The fixture's services, as their files in the state directory are named. */
const SERVICE_FILES = ['proofpoint_on_demand-7-message', 'proofpoint_on_demand-7-maillog', 'proofpoint_casb-3-alerts', 'proofpoint_casb-3-events'];

/** The keys a collector had committed (its de-dup journals); a torn last line does not count. */
export async function committedKeys(stateDir: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const name of SERVICE_FILES) {
    const text = await readFile(path.join(stateDir, `${name}.dedup.jsonl`), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        keys.add((JSON.parse(line) as [string, number])[0]);
      } catch {
        // a torn last line: not committed
      }
    }
  }
  return keys;
}

/** The parent key of a relay line key (CASB lines are `eventId#index` or `id#index`). */
export function parentKey(key: string): string {
  return key.split('#')[0]!;
}
