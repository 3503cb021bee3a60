import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as t from 'io-ts';
import { from } from 'rxjs';
import { silentLogger } from '../../lib/log/logger';
import { dedupWindow } from '../../lib/operators/dedupWindow';
import { ServiceStore } from '../../lib/state/serviceStore';
import { ServiceTelemetry } from '../../lib/telemetry/serviceTelemetry';
import { CommitStep, mayMoveCursor } from '../../pipelines/commitStep';
import { PodCommits } from '../../pipelines/pod/podCommits';
import { POD_STATE_MIGRATIONS, POD_STATE_VERSION, PodState } from '../../pipelines/pod/podState';
import { tempDir } from '../helpers/tempDir';

const NOW = Date.UTC(2024, 4, 22, 12, 0, 0);
const PAST = NOW - 3_600_000;

/** One rule for every product: [case, event time, moves the cursor]. */
const FUTURE_TIME_RULE: Array<[string, number, boolean]> = [
  ['an hour ago', PAST, true],
  ['now', NOW, true],
  ['a second ahead', NOW + 1000, false],
  ['four minutes ahead (within the old PoD skew)', NOW + 4 * 60_000, false],
  ['in 2099', Date.UTC(2099, 0, 1), false],
];

describe('the commit step: one future-time rule', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  const telemetry = () => new ServiceTelemetry('proofpoint_on_demand', '1', 'message', () => NOW);
  const ack = (time: number, ...keys: string[]) => ({ records: keys.map((value) => ({ time, value })), bytes: 10 * keys.length });
  const persisted = async <S>(base: string) => (JSON.parse(await readFile(path.join(dir, `${base}.json`), 'utf8')) as { state: S }).state;

  for (const [name, time, moves] of FUTURE_TIME_RULE) {
    it(`PoD: an event ${name} ${moves ? 'moves' : 'does not move'} the cursor and the delivered time`, async () => {
      const store = await ServiceStore.open<PodState>({
        directory: dir,
        base: 'pod',
        service: 'pod/message',
        version: POD_STATE_VERSION,
        codec: PodState,
        migrations: POD_STATE_MIGRATIONS,
        logger: silentLogger,
        now: () => NOW,
      });
      const t = telemetry();
      const c = new PodCommits({
        store,
        dedup: dedupWindow<string>({ key: (k) => k }),
        telemetry: t,
        logger: silentLogger,
        now: () => NOW,
        service: {},
        lastEventTime: PAST - 1000,
        catchUpFrom: PAST,
      });
      void c.admit(time);
      c.apply(ack(time, 'k'));
      await c.persist('commit');
      expect((await persisted<PodState>('pod')).lastEventTime).to.equal(moves ? time : PAST - 1000);
      expect(t.lastDeliveredEventTime).to.equal(moves ? time : undefined);
    });

    it(`PoD: a skipped (too large) event ${name} ${moves ? 'moves' : 'does not move'} the cursor`, async () => {
      const store = await ServiceStore.open<PodState>({
        directory: dir,
        base: 'pod',
        service: 'pod/message',
        version: POD_STATE_VERSION,
        codec: PodState,
        migrations: POD_STATE_MIGRATIONS,
        logger: silentLogger,
        now: () => NOW,
      });
      const c = new PodCommits({
        store,
        dedup: dedupWindow<string>({ key: (k) => k }),
        telemetry: telemetry(),
        logger: silentLogger,
        now: () => NOW,
        service: {},
        lastEventTime: PAST - 1000,
        catchUpFrom: PAST,
      });
      c.skip(time);
      await c.persist('commit');
      expect((await persisted<PodState>('pod')).lastEventTime).to.equal(moves ? time : PAST - 1000);
    });

    it(`any policy: a record ${name} is handed over as ${moves ? 'current' : 'ahead of the clock'}`, () => {
      expect(mayMoveCursor(time, NOW)).to.equal(moves);
    });
  }

  it('hands the policy every record, journals each key once per commit, and persists the policy state', async () => {
    const Page = t.type({ page: t.number });
    const store = await ServiceStore.open<t.TypeOf<typeof Page>>({
      directory: dir,
      base: 'casb',
      service: 'casb/alerts',
      version: 1,
      codec: Page,
      logger: silentLogger,
      now: () => NOW,
    });
    const dedup = dedupWindow<string>({ key: (k) => k });
    // The keys passed the window, as the pipeline's records did.
    from(['a', 'b']).pipe(dedup).subscribe();
    const seen: Array<[number, boolean]> = [];
    let page = 0;
    const tel = telemetry();
    const step = new CommitStep({
      store,
      dedup,
      telemetry: tel,
      logger: silentLogger,
      now: () => NOW,
      cursor: { delivered: (time, current) => void seen.push([time, current]), state: () => ({ page }) },
    });
    // A record flattened into two lines is acknowledged twice.
    step.apply(ack(PAST, 'a', 'a'));
    step.apply(ack(NOW + 1000, 'b'));
    page = 7;
    await step.persist('commit');
    expect(seen).to.deep.equal([
      [PAST, true],
      [PAST, true],
      [NOW + 1000, false],
    ]);
    expect(tel.counters.sent).to.equal(3);
    expect(tel.counters.bytesSent).to.equal(30);
    expect(tel.lastDeliveredEventTime).to.equal(PAST);
    expect((await persisted<{ page: number }>('casb')).page).to.equal(7);
    const journal = (await readFile(path.join(dir, 'casb.dedup.jsonl'), 'utf8')).trim().split('\n');
    expect(journal.map((l) => (JSON.parse(l) as [string, number])[0])).to.deep.equal(['a', 'b']);
  });
});
