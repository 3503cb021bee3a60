import { expect } from 'chai';
import { Subject } from 'rxjs';
import { ByteArena } from '../../../lib/flow/byteArena';
import { dedupWindow } from '../../../lib/operators/dedupWindow';
import type { Timed } from '../../../lib/operators/timed';
import type { PodFrame } from '../../../lib/sources/podFrame';
import { podKeep } from '../../../pipelines/pod/podKeep';
import { testScheduler } from '../../helpers/marbles';

const TS = '2024-05-22T12:00:00.000000+0000';
const frame = (key: string, ts: unknown = TS): PodFrame => ({ key, ts, raw: Buffer.from(`{"guid":"${key}"}`) });

describe('podKeep (de-dup, time and copy of a turn, in one loop)', () => {
  const setup = () => {
    const clock = testScheduler();
    clock.frame = 1000;
    const dedup = dedupWindow<PodFrame>({ key: (f) => f.key, ttlMs: 60_000, maxKeys: 100, scheduler: clock });
    const arena = new ByteArena();
    const input = new Subject<readonly PodFrame[]>();
    const out: Array<ReadonlyArray<Timed<PodFrame>>> = [];
    const invalid: Array<[string, string]> = [];
    let ended: unknown;
    input.pipe(podKeep({ dedup, arena, timeInvalid: (f, reason) => void invalid.push([f.key, reason]) })).subscribe({
      next: (kept) => out.push(kept),
      error: (err: unknown) => (ended = err),
      complete: () => (ended = 'complete'),
    });
    return { dedup, input, out, invalid, ended: () => ended };
  };

  it('keeps each new key once, with its time, its bytes copied out of the read; one array in, one out', () => {
    const { input, out } = setup();
    const turn = [frame('a'), frame('b'), frame('a')];
    input.next(turn);
    expect(out).to.have.length(1);
    expect(out[0]!.map((e) => [e.value.key, e.time])).to.deep.equal([
      ['a', Date.UTC(2024, 4, 22, 12)],
      ['b', Date.UTC(2024, 4, 22, 12)],
    ]);
    // A copy: the socket read's buffer may go.
    expect(out[0]![0]!.value.raw.equals(turn[0]!.raw)).to.equal(true);
    expect(out[0]![0]!.value.raw.buffer).to.not.equal(turn[0]!.raw.buffer);
    input.next([frame('b')]);
    expect(out, 'nothing kept: no array').to.have.length(1);
  });

  it('hands an event with a bad time to timeInvalid and forgets its key, so that a corrected re-send passes', () => {
    const { input, out, invalid } = setup();
    input.next([frame('x', 'yesterday'), frame('y', null)]);
    expect(out).to.deep.equal([]);
    expect(invalid.map(([key, reason]) => [key, reason.startsWith('ts: ')])).to.deep.equal([
      ['x', true],
      ['y', true],
    ]);
    input.next([frame('x')]);
    expect(out[0]!.map((e) => e.value.key)).to.deep.equal(['x']);
  });

  it('errors when a step throws, and completes with the source', () => {
    const failing = setup();
    const boom = new Error('dead letter full');
    const input = new Subject<readonly PodFrame[]>();
    let ended: unknown;
    input
      .pipe(
        podKeep({
          dedup: failing.dedup,
          arena: new ByteArena(),
          timeInvalid: () => {
            throw boom;
          },
        }),
      )
      .subscribe({ error: (err: unknown) => (ended = err) });
    input.next([frame('q', 'bad')]);
    expect(ended).to.equal(boom);
    const { input: other, ended: otherEnded } = setup();
    other.complete();
    expect(otherEnded()).to.equal('complete');
  });
});
