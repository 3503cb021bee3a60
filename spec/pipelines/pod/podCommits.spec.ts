import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { silentLogger } from '../../../lib/log/logger';
import { dedupWindow } from '../../../lib/operators/dedupWindow';
import { ServiceStore } from '../../../lib/state/serviceStore';
import { ServiceTelemetry } from '../../../lib/telemetry/serviceTelemetry';
import { PodCommits } from '../../../pipelines/pod/podCommits';
import { POD_STATE_MIGRATIONS, POD_STATE_VERSION, PodState } from '../../../pipelines/pod/podState';
import { tempDir } from '../../helpers/tempDir';

const HOUR = 3_600_000;

describe('PodCommits: the catch-up floor', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  async function commits(catchUpFrom: number) {
    const now = Date.now();
    const store = await ServiceStore.open<PodState>({
      directory: dir,
      base: 'pod',
      service: 'pod/message',
      version: POD_STATE_VERSION,
      codec: PodState,
      migrations: POD_STATE_MIGRATIONS,
      logger: silentLogger,
      now: () => now,
    });
    const dedup = dedupWindow<string>({ key: (k) => k });
    const telemetry = new ServiceTelemetry('proofpoint_on_demand', '1', 'message', () => now);
    return { now, c: new PodCommits({ store, dedup, telemetry, logger: silentLogger, now: () => now, service: {}, lastEventTime: undefined, catchUpFrom }) };
  }
  const persisted = async () => (JSON.parse(await readFile(path.join(dir, 'pod.json'), 'utf8')) as { state: PodState }).state;
  const ack = (...times: number[]) => ({ records: times.map((time, i) => ({ time, value: `k${time}-${i}` })), bytes: 10 * times.length });

  it('admits an event at or after the floor at once, and one before it only once a lower floor is written', async () => {
    const { now, c } = await commits(Math.floor(Date.now() / HOUR) * HOUR - HOUR);
    const floor = Math.floor(now / HOUR) * HOUR - HOUR;
    expect(c.admit(floor)).to.equal(undefined);
    expect(c.admit(now)).to.equal(undefined);
    const older = floor - 90 * 60_000;
    const written = c.admit(older);
    expect(written).to.be.instanceOf(Promise);
    await written;
    expect((await persisted()).catchUpFrom).to.equal(floor - 2 * HOUR);
    // The same hour again needs no write.
    expect(c.admit(older + 1000)).to.equal(undefined);
  });

  it('rises only with a commit, to the oldest hour still in flight, and to the last delivered event hour once nothing older is', async () => {
    const base = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
    const { c } = await commits(base);
    const early = base + 10 * 60_000;
    const later = base + 2 * HOUR + 60_000;
    void c.admit(early);
    void c.admit(later);
    c.apply(ack(later));
    await c.persist('commit');
    // `early` is still in flight: its hour stays the floor.
    expect((await persisted()).catchUpFrom).to.equal(base);
    c.apply(ack(early));
    await c.persist('commit');
    expect((await persisted()).catchUpFrom).to.equal(base + 2 * HOUR);
    expect((await persisted()).lastEventTime).to.equal(later);
  });

  it('is not raised by an event stamped in the future', async () => {
    const base = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
    const { c } = await commits(base);
    const future = Date.UTC(2099, 0, 1);
    void c.admit(future);
    c.apply(ack(future));
    await c.persist('commit');
    expect((await persisted()).catchUpFrom).to.equal(base);
  });
});
