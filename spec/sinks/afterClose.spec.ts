import { expect } from 'chai';
import { afterClose } from '../../lib/sinks/afterClose';
import type { SenderPhase } from '../../lib/sinks/senderPhase';

describe('afterClose (what a sender does once a connection closed)', () => {
  it('writes what is queued after an answered close, probes when idle, settles when stopping, retries a lost one', () => {
    const table: ReadonlyArray<[answered: boolean, queued: boolean, phase: SenderPhase, next: string]> = [
      [true, true, 'open', 'write'],
      [true, true, 'draining', 'write'],
      [true, true, 'closing', 'write'],
      [true, true, 'closed', 'settle'],
      [true, false, 'open', 'probe'],
      [true, false, 'draining', 'probe'],
      [true, false, 'closing', 'settle'],
      [false, true, 'open', 'retry'],
      [false, false, 'open', 'retry'],
      [false, true, 'closing', 'retry'],
      [false, false, 'closing', 'settle'],
      [false, true, 'closed', 'settle'],
    ];
    for (const [answered, queued, phase, next] of table) expect(afterClose(answered, queued, phase), `${answered} ${queued} ${phase}`).to.equal(next);
  });
});
