import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultServices } from '../../pipelines/runtime/defaultServices';
import { startCollector } from '../../pipelines/runtime/runner';
import { configSecrets } from '../config/collectorConfig';
import { loadConfig } from '../config/loadConfig';
import { createLogger } from '../log/logger';
import { SecretRedactor } from '../log/secretRedactor';
import { DevoReceiver } from '../simulators/devoReceiver';
import { CasbSimulator } from '../simulators/casbSimulator';
import { PodSimulator } from '../simulators/podSimulator';
import type { CommandIo } from './simulateCommand';
import { UsageError } from './usageError';
import { writeThrowawayPki } from './writeThrowawayPki';

const DEMO_TOKEN = 'demo-pod-token-not-a-secret';
const DEMO_CASB_SECRET = 'demo-casb-secret-not-a-secret';

/**
 * `demo`: throwaway certificates, the PoD and CASB simulators, two outputs (a local
 * Devo-compatible TLS receiver, `devo_1`, and a plain syslog relay, `relay_1`: every event to
 * both) and the collector, all in this process and under `--dir` (default `./demo`). Prints a
 * running count per output and where each writes; stops on SIGINT/SIGTERM or after `--duration` seconds.
 */
export async function demoCommand(args: string[], io: CommandIo): Promise<number> {
  const flags = parseArgs({
    args,
    options: {
      dir: { type: 'string', default: 'demo' },
      duration: { type: 'string' },
      rate: { type: 'string', default: '20' },
      'http-port': { type: 'string', default: '0' },
    },
    strict: true,
  }).values;
  const dir = path.resolve(flags.dir);
  const duration = flags.duration === undefined ? undefined : Number(flags.duration);
  if (duration !== undefined && !(duration > 0)) throw new UsageError(`--duration: expected seconds > 0, got "${flags.duration}"`);
  const httpPort = Number(flags['http-port']);
  if (!(Number.isInteger(httpPort) && httpPort >= 0 && httpPort <= 65535))
    throw new UsageError(`--http-port: expected a port (0: any free one), got "${flags['http-port']}"`);
  await mkdir(dir, { recursive: true });
  const receivedFile = path.join(dir, 'received.log');
  const relayedFile = path.join(dir, 'relayed.log');
  await writeFile(receivedFile, '');
  await writeFile(relayedFile, '');
  // The simulators send the same events at every demo: a state kept from the last one would filter
  // them all as duplicates, and the demo would show nothing.
  const stateDir = path.join(dir, 'state');
  await rm(stateDir, { recursive: true, force: true });
  io.out(
    `demo: starting from an empty state in ${stateDir} (the simulators send the same events at every demo, which a kept state would filter out as duplicates)`,
  );

  io.out(`demo: making throwaway certificates in ${path.join(dir, 'certs')}`);
  const pki = await writeThrowawayPki(path.join(dir, 'certs'));
  const receiver = await DevoReceiver.start({ ca: pki.pki.ca.cert, cert: pki.pki.server.cert, key: pki.pki.server.key, outputFile: receivedFile });
  // The second output: a syslog relay as a Devo In-House Relay or rsyslog (`simulate devo --plain`).
  const relay = await DevoReceiver.start({ plain: true, outputFile: relayedFile });
  const pod = await PodSimulator.start({
    token: DEMO_TOKEN,
    clusterId: 'demo_hosted',
    rate: Number(flags.rate),
    duplicateRate: 0.02,
    disorderWindow: 4,
    dropEveryFrames: 1500,
    malformedEvery: 400,
  });
  const casb = await CasbSimulator.start({
    apiKey: 'demo-casb-key',
    clientId: 'demo-client',
    clientSecret: DEMO_CASB_SECRET,
    alerts: { timeline: { startTime: Date.now() - 600_000, intervalMs: 2000, sameTimestampGroup: 2 } },
    events: { timeline: { startTime: Date.now() - 600_000, intervalMs: 500 } },
    tokenTtlSeconds: 120,
    rateLimitEvery: 25,
    failEvery: 40,
  });
  const configFile = path.join(dir, 'config.yaml');
  await writeFile(
    configFile,
    `# Written by the demo: the collector's config for the local simulators.
globals:
  id: "1"
  name: demo
  devo_sender_threshold_for_using_gzip_in_transport_layer: -1   # gzip: each batch one member (docs/outputs.md)
  http_server: { address: 127.0.0.1, port: ${httpPort} }
  persistence: { type: filesystem, config: { directory_name: ${JSON.stringify(stateDir)} } }
outputs:
  devo_1:
    type: devo_platform
    config:
      address: localhost
      port: ${receiver.port}
      type: SSL
      chain: ${JSON.stringify(pki.chain)}
      cert: ${JSON.stringify(pki.clientCert)}
      key: ${JSON.stringify(pki.clientKey)}
      hostname: demo-collector
  relay_1:   # a second output: every event goes to both, each confirmed on its own
    type: syslog
    config: { address: localhost, port: ${relay.port}, hostname: demo-collector }   # plain TCP; lines uncompressed
inputs:
  proofpoint_on_demand:
    id: "1"
    credentials: { cluster_id: demo_hosted, api_token: "\${DEMO_POD_TOKEN}" }
    override_url_base: ${pod.url}
    services:
      message: { period_in_seconds: 5 }
      maillog: { period_in_seconds: 5 }
      audit: { period_in_seconds: 5 }
  proofpoint_casb:
    id: "2"
    credentials: { api_key: demo-casb-key, client_id: demo-client, client_secret: "\${DEMO_CASB_SECRET}" }
    override_url_base: ${casb.url}
    requests_per_second: 5
    services:
      alerts: { request_period_in_seconds: 10, initial_start_time_in_utc: "${new Date(Date.now() - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}" }
      events: { request_period_in_seconds: 10, initial_start_time_in_utc: "${new Date(Date.now() - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}" }
`,
  );
  const config = await loadConfig(configFile, { env: { DEMO_POD_TOKEN: DEMO_TOKEN, DEMO_CASB_SECRET } });
  const logger = createLogger({ redactor: new SecretRedactor(configSecrets(config)), write: io.out });
  const collector = await startCollector(config, { logger, services: defaultServices });
  io.out(
    `demo: PoD simulator at ${pod.url}, CASB simulator at ${casb.url}, Devo receiver (output devo_1, TLS, gzip) at localhost:${receiver.port}, syslog relay (output relay_1, plain TCP) at localhost:${relay.port}; the collector runs ${collector.services.join(', ')}`,
  );
  io.out(
    `demo: every event goes to both outputs: the Devo receiver writes what it gets to ${receivedFile}, the syslog relay to ${relayedFile} (Ctrl-C to stop)`,
  );
  io.out(
    'demo: faults are staged on purpose, to show the collector riding them out; the warnings they cause are expected: ' +
      'the PoD stream drops its connection every 1 500 frames and sends a malformed frame every 400 (dead-lettered), ' +
      'CASB answers 429 to every 25th request and 500 to every 40th (retried), and its token expires every 2 minutes (renewed)',
  );
  io.out(
    'demo: in the statistics lines, "generated and sent" and "Total number of messages sent" count what both outputs confirmed reading, ' +
      'which trails what they received by up to a few seconds',
  );
  io.out(
    `demo: metrics, health and status at ${collector.httpUrl ?? '(off)'} (/metrics, /ready, /status; or: proofpoint-devo-collector status --url ${collector.httpUrl ?? ''})`,
  );

  const ratio = () => {
    const r = receiver.stats;
    return `${r.bytes} bytes on the wire for ${r.bytesInflated} inflated (gzip, ${r.bytes === 0 ? '-' : (r.bytesInflated / r.bytes).toFixed(1)}:1)`;
  };
  const status = () => {
    const s = pod.stats;
    const c = casb.stats;
    return (
      `demo: PoD simulator sent ${s.eventsSent} event(s) (+${s.duplicatesSent} duplicates, ${s.malformedSent} malformed; ${s.drops} staged drop(s)), ` +
      `CASB simulator served ${c.alertsServed} alert(s) and ${c.eventsServed} event(s) (${c.rateLimited} staged 429(s), ${c.failures} staged 500(s)); ` +
      `syslog relay (relay_1) got ${relay.stats.lines} line(s); Devo receiver (devo_1) got ${receiver.stats.lines} line(s), ${ratio()}`
    );
  };
  const ticker = setInterval(() => io.out(status()), 5000);
  await Promise.race([io.stopSignal, ...(duration === undefined ? [] : [new Promise((resolve) => setTimeout(resolve, duration * 1000))])]);
  clearInterval(ticker);
  await collector.stop();
  const [lines, relayed] = [receiver.stats.lines, relay.stats.lines];
  io.out(status());
  await pod.stop();
  await casb.stop();
  await receiver.stop();
  await relay.stop();
  io.out(
    `demo: stopped. ${lines} event(s) delivered to ${receivedFile} (devo_1), ${relayed} to ${relayedFile} (relay_1); state in ${stateDir} (removed at the next demo)`,
  );
  return lines > 0 && relayed > 0 ? 0 : 1;
}
