import { expect } from 'chai';
import { Subject } from 'rxjs';
import { commitAcks, type CommitReason } from '../../lib/operators/commitAcks';
import { sleep, waitFor } from '../helpers/waitFor';

describe('commitAcks', () => {
  it('applies every ack, persists at most once per interval, and once more on complete', async () => {
    const acks = new Subject<number>();
    let cursor = 0;
    const writes: Array<[CommitReason, number]> = [];
    const passed: number[] = [];
    let completed = false;
    acks
      .pipe(
        commitAcks({
          apply: (n) => (cursor = n),
          persist: async (reason) => void writes.push([reason, cursor]),
          intervalMs: 100,
          onError: () => undefined,
        }),
      )
      .subscribe({ next: (n) => passed.push(n), complete: () => (completed = true) });
    acks.next(1);
    acks.next(2);
    acks.next(3);
    await sleep(20);
    expect(writes).to.deep.equal([['commit', 1]]);
    await sleep(120);
    expect(writes).to.deep.equal([['commit', 1], ['commit', 3]]);
    acks.next(4);
    acks.complete();
    await waitFor(() => completed, 'completion');
    expect(writes[writes.length - 1]).to.deep.equal(['complete', 4]);
    expect(passed).to.deep.equal([1, 2, 3, 4]);
  });

  it('writes the cursor once more on error, then forwards the error', async () => {
    const acks = new Subject<number>();
    const writes: CommitReason[] = [];
    let error: unknown;
    acks
      .pipe(commitAcks({ apply: () => undefined, persist: async (r) => void writes.push(r), intervalMs: 10_000, onError: () => undefined }))
      .subscribe({ error: (e) => (error = e) });
    acks.next(1);
    acks.error(new Error('source broke'));
    await waitFor(() => error !== undefined, 'the error');
    expect(writes).to.deep.equal(['commit', 'error']);
    expect((error as Error).message).to.equal('source broke');
  });

  it('reports a failing write and keeps going', async () => {
    const acks = new Subject<number>();
    const errors: unknown[] = [];
    let attempts = 0;
    let completed = false;
    acks
      .pipe(
        commitAcks({
          apply: () => undefined,
          persist: async () => {
            attempts++;
            if (attempts === 1) throw new Error('disk full');
          },
          intervalMs: 1,
          onError: (e) => errors.push(e),
        }),
      )
      .subscribe({ complete: () => (completed = true) });
    acks.next(1);
    await sleep(10);
    acks.next(2);
    acks.complete();
    await waitFor(() => completed, 'completion');
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['disk full']);
    expect(attempts).to.be.greaterThanOrEqual(2);
  });

  it('errors when apply throws', () => {
    const acks = new Subject<number>();
    let error: unknown;
    acks
      .pipe(
        commitAcks({
          apply: () => {
            throw new Error('bad ack');
          },
          persist: async () => undefined,
          intervalMs: 1,
          onError: () => undefined,
        }),
      )
      .subscribe({ error: (e) => (error = e) });
    acks.next(1);
    expect((error as Error).message).to.equal('bad ack');
  });

  it('cancels its timer on unsubscribe', async () => {
    const acks = new Subject<number>();
    const writes: CommitReason[] = [];
    const sub = acks.pipe(commitAcks({ apply: () => undefined, persist: async (r) => void writes.push(r), intervalMs: 50, onError: () => undefined })).subscribe();
    acks.next(1);
    acks.next(2);
    sub.unsubscribe();
    await sleep(80);
    expect(writes).to.deep.equal(['commit']);
  });
});
