import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as t from 'io-ts';
import { from } from 'rxjs';
import { createLogger } from '../../lib/log/logger';
import type { DevoWriter } from '../../lib/sinks/devoWriter';
import { openServiceSkeleton } from '../../pipelines/serviceSkeleton';
import { tempDir } from '../helpers/tempDir';

const State = t.type({ at: t.number });
type State = t.TypeOf<typeof State>;

describe('openServiceSkeleton (what every service starts with)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let logs: string[];
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    logs = [];
  });
  afterEach(() => remove());

  const open = (service: { name: string; dedupMaxBytes: number; dedupMaxKeys?: number }) =>
    openServiceSkeleton<State, string>(
      {
        product: 'proofpoint_casb',
        inputId: 'in1',
        service,
        id: `casb/${service.name}`,
        loggerName: `Puller(${service.name})`,
        state: { base: `svc-${service.name}`, version: 1, codec: State },
        key: (r) => r,
        render: (s) => `<${s.at}>`,
        beforeOpen: (logger) => logger.info('before the store'),
      },
      { writer: {} as DevoWriter, logger: createLogger({ write: (l) => logs.push(l) }), stateDirectory: dir, hostname: 'h' },
    );

  it('logs the start in the seeds order, with no state: None', async () => {
    const s = await open({ name: 'alerts', dedupMaxBytes: 1 << 20 });
    expect(s.persisted).to.equal(undefined);
    expect(logs.map((l) => l.replace(/^\S+ /, ''))).to.deep.equal([
      'INFO InputProcess::Puller(alerts) -> before the store',
      'INFO InputProcess::Puller(alerts) -> Reading persisted data',
      'INFO InputProcess::Puller(alerts) -> Data retrieved from the persistence: None',
    ]);
  });

  it('loads the persisted state and renders it as the product says', async () => {
    await writeFile(path.join(dir, 'svc-alerts.json'), JSON.stringify({ version: 1, state: { at: 7 } }));
    const s = await open({ name: 'alerts', dedupMaxBytes: 1 << 20 });
    expect(s.persisted).to.deep.equal({ at: 7 });
    expect(logs.at(-1)).to.match(/Data retrieved from the persistence: <7>$/);
  });

  it('counts and writes a dead letter, and writes it out on close', async () => {
    const s = await open({ name: 'events', dedupMaxBytes: 1 << 20 });
    s.deadLetter('{"broken', 'not JSON');
    expect(s.telemetry.counters.deadLettered).to.equal(1);
    s.telemetry.connected = true;
    s.close();
    expect(s.telemetry.connected).to.equal(false);
    // close() started the flush; this one waits for it.
    await s.store.deadLetter.flush();
    expect(await readFile(path.join(dir, 'svc-events.deadletter.jsonl'), 'utf8')).to.include('not JSON');
  });

  it('bounds the de-dup window by the service keys setting, counts duplicates and names the setting when it forgets early', async () => {
    const s = await open({ name: 'alerts', dedupMaxBytes: 1 << 20, dedupMaxKeys: 2 });
    const passed: string[] = [];
    from(['a', 'a', 'b', 'c'])
      .pipe(s.dedup)
      .subscribe((k) => passed.push(k));
    expect(passed).to.deep.equal(['a', 'b', 'c']);
    expect(s.telemetry.counters.duplicates).to.equal(1);
    expect(s.dedup.size).to.equal(2);
    expect(s.telemetry.counters.forgottenEarly).to.equal(1);
    expect(logs.at(-1)).to.match(
      /DEDUP_WINDOW_FULL: .* Raise inputs\.proofpoint_casb\.services\.alerts\.dedup_max_size_in_mb \(1\) or inputs\.proofpoint_casb\.services\.alerts\.dedup_max_keys \(2\)$/,
    );
  });

  it('reports what the service holds', async () => {
    const s = await open({ name: 'alerts', dedupMaxBytes: 1 << 20 });
    s.holding(
      () => 3,
      () => 4,
    );
    from(['a']).pipe(s.dedup).subscribe();
    expect(s.telemetry.holds).to.include({ sortWindow: 3, sink: 4, dedupKeys: 1 });
  });
});
