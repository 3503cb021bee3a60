import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CasbSimulator } from '../lib/simulators/casbSimulator';
import { SeededRandom } from '../lib/simulators/seededRandom';
import { PodSimulator } from '../lib/simulators/podSimulator';
import { createThrowawayPki, type ThrowawayPki } from '../lib/simulators/throwawayPki';
import { writeCertFiles } from '../spec/helpers/certFiles';
import { committedKeys, expectedKeys, lineKey, parentKey, SECRET_ENV, SECRETS, writeCollectorConfig } from '../spec/helpers/collectorFixture';
import { CollectorProcess } from '../spec/helpers/collectorProcess';
import { RelayLog } from '../spec/helpers/relayLog';
import { tempDir } from '../spec/helpers/tempDir';
import { sleep, waitFor } from '../spec/helpers/waitFor';

/**
 * `npm run chaos`: the long fault runs (the short ones are in `npm test`). A collector process
 * runs PoD (message, maillog) and CASB (alerts, events) against the simulators and a relay, and:
 * - relay: the relay is killed and restarted on the same port at random moments;
 * - kill: the collector is SIGKILLed at random moments and restarted each time;
 * - slow: the relay reads 1 MiB/s while the sources flood, then recovers.
 * Each reports events lost (must be 0), duplicates and their bound, and peak RSS; exit code 1 on
 * any loss or broken bound.
 */
interface Figures {
  readonly scenario: string;
  readonly events: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly bound?: number;
  readonly peakRssMiB: number;
  readonly notes: string;
}

const CASB_TIMELINE = { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000 };

async function peakRss(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function setup(pki: ThrowawayPki, podTotal: number, casbTotal: number, relayOptions: { readBytesPerSecond?: number } = {}) {
  const { dir, remove } = await tempDir('pdc-chaos-');
  const pod = await PodSimulator.start({
    token: SECRETS.podToken,
    clusterId: 'acme',
    types: ['message', 'maillog'],
    rate: 400,
    total: podTotal,
    duplicateRate: 0.01,
    disorderWindow: 4,
  });
  const casb = await CasbSimulator.start({
    apiKey: SECRETS.casbKey,
    clientId: 'c',
    clientSecret: SECRETS.casbSecret,
    mode: 'backlog',
    alerts: { timeline: CASB_TIMELINE, total: casbTotal },
    events: { timeline: CASB_TIMELINE, total: casbTotal },
    rateLimitEvery: 13,
    failEvery: 17,
  });
  const relay = await RelayLog.start(pki, lineKey, 0, relayOptions);
  await writeCertFiles(path.join(dir, 'certs'), pki);
  await writeCollectorConfig(dir, { relayPort: relay.port, podUrl: pod.url, casbUrl: casb.url });
  const start = () => new CollectorProcess(['run', '--config', 'config.yaml'], { cwd: dir, env: SECRET_ENV });
  const teardown = async () => {
    await pod.stop();
    await casb.stop();
    await relay.stop();
    await remove();
  };
  return { dir, pod, casb, relay, start, teardown, expected: expectedKeys(podTotal, casbTotal, CASB_TIMELINE) };
}

async function relayCrashes(pki: ThrowawayPki, crashes: number, random: SeededRandom, log: (s: string) => void): Promise<Figures> {
  const s = await setup(pki, 16_000, 4000);
  const collector = s.start();
  let peak = 0;
  try {
    for (let k = 0; k < crashes; k++) {
      await sleep(1000 + random.int(3000));
      peak = Math.max(peak, await peakRss(collector.pid));
      await s.relay.crashAndRestart(100 + random.int(900));
      log(`  relay crash ${k + 1}/${crashes}: ${s.relay.unique}/${s.expected.size} events so far, ${s.relay.duplicates} re-delivered`);
    }
    await waitFor(() => s.relay.unique >= s.expected.size, 'every event', 300_000).catch(() => undefined);
    peak = Math.max(peak, await peakRss(collector.pid));
    collector.kill('SIGTERM');
    await collector.exited;
    const lost = [...s.expected].filter((k) => !s.relay.counts.has(k)).length;
    return {
      scenario: `relay killed ${crashes} times`,
      events: s.expected.size,
      lost,
      duplicates: s.relay.duplicates,
      peakRssMiB: peak,
      notes: `resend window 8 MiB per crash`,
    };
  } finally {
    await collector.dispose();
    await s.teardown();
  }
}

async function collectorKills(pki: ThrowawayPki, kills: number, random: SeededRandom, log: (s: string) => void): Promise<Figures> {
  const s = await setup(pki, 16_000, 4000);
  let collector = s.start();
  let bound = 0;
  let peak = 0;
  try {
    for (let k = 0; k < kills; k++) {
      await sleep(1000 + random.int(3000));
      peak = Math.max(peak, await peakRss(collector.pid));
      collector.kill('SIGKILL');
      await collector.exited;
      await sleep(200);
      const committed = await committedKeys(path.join(s.dir, 'state'));
      const uncommitted = [...s.relay.counts.keys()].filter((key) => !committed.has(parentKey(key))).length;
      bound += uncommitted;
      log(`  SIGKILL ${k + 1}/${kills}: ${s.relay.unique}/${s.expected.size} events so far, ${uncommitted} delivered but not committed`);
      collector = s.start();
    }
    await waitFor(() => s.relay.unique >= s.expected.size, 'every event', 300_000).catch(() => undefined);
    peak = Math.max(peak, await peakRss(collector.pid));
    collector.kill('SIGTERM');
    await collector.exited;
    const lost = [...s.expected].filter((k) => !s.relay.counts.has(k)).length;
    return {
      scenario: `collector SIGKILLed ${kills} times`,
      events: s.expected.size,
      lost,
      duplicates: s.relay.duplicates,
      bound,
      peakRssMiB: peak,
      notes: 'duplicates must not exceed the events delivered but not committed at each kill',
    };
  } finally {
    await collector.dispose();
    await s.teardown();
  }
}

async function slowRelay(pki: ThrowawayPki, seconds: number, log: (s: string) => void): Promise<Figures> {
  const s = await setup(pki, 30_000, 8000, { readBytesPerSecond: 1024 * 1024 });
  const collector = s.start();
  let peak = 0;
  try {
    for (let t = 0; t < seconds; t++) {
      await sleep(1000);
      peak = Math.max(peak, await peakRss(collector.pid));
      if (t % 10 === 9) log(`  slow relay ${t + 1}/${seconds} s: ${s.relay.lines.length} lines delivered, peak RSS ${peak.toFixed(0)} MiB`);
    }
    await s.relay.crashAndRestart(100, { readBytesPerSecond: 0 });
    await waitFor(() => s.relay.unique >= s.expected.size, 'every event', 300_000).catch(() => undefined);
    peak = Math.max(peak, await peakRss(collector.pid));
    collector.kill('SIGTERM');
    await collector.exited;
    const lost = [...s.expected].filter((k) => !s.relay.counts.has(k)).length;
    return {
      scenario: `relay at 1 MiB/s for ${seconds} s`,
      events: s.expected.size,
      lost,
      duplicates: s.relay.duplicates,
      peakRssMiB: peak,
      notes: 'then the relay recovers',
    };
  } finally {
    await collector.dispose();
    await s.teardown();
  }
}

async function main(): Promise<void> {
  const flags = parseArgs({
    options: {
      kills: { type: 'string', default: '20' },
      'relay-crashes': { type: 'string', default: '10' },
      'slow-seconds': { type: 'string', default: '60' },
      scenarios: { type: 'string', default: 'relay,kill,slow' },
      seed: { type: 'string', default: 'chaos' },
      json: { type: 'boolean', default: false },
    },
  }).values;
  const log = (text: string) => {
    if (!flags.json) console.log(text);
  };
  const random = new SeededRandom(flags.seed);
  const wanted = new Set(flags.scenarios.split(','));
  const pki = await createThrowawayPki();
  const results: Figures[] = [];
  if (wanted.has('relay')) {
    log('relay crashes …');
    results.push(await relayCrashes(pki, Number(flags['relay-crashes']), random, log));
  }
  if (wanted.has('kill')) {
    log('collector kills …');
    results.push(await collectorKills(pki, Number(flags.kills), random, log));
  }
  if (wanted.has('slow')) {
    log('slow relay …');
    results.push(await slowRelay(pki, Number(flags['slow-seconds']), log));
  }
  const failed = results.filter((r) => r.lost > 0 || (r.bound !== undefined && r.duplicates > r.bound));
  if (flags.json) console.log(JSON.stringify({ results, ok: failed.length === 0 }, null, 2));
  else {
    console.log('');
    for (const r of results) {
      console.log(
        `${r.scenario}: ${r.events} events, lost ${r.lost}, duplicates ${r.duplicates}${r.bound === undefined ? '' : ` (bound ${r.bound})`}, collector peak RSS ${r.peakRssMiB.toFixed(0)} MiB — ${r.notes}`,
      );
    }
    console.log(failed.length === 0 ? '\nOK: nothing lost, duplicates within bounds' : `\nFAILED: ${failed.map((r) => r.scenario).join('; ')}`);
  }
  process.exitCode = failed.length === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
