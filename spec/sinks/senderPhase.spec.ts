import { expect } from 'chai';
import { reached, type SenderPhase } from '../../lib/sinks/senderPhase';

describe('senderPhase (a sender’s life, in order)', () => {
  it('has reached a phase once it is there or later', () => {
    const phases: SenderPhase[] = ['open', 'draining', 'closing', 'closed'];
    for (const [i, phase] of phases.entries())
      for (const [j, target] of phases.entries()) expect(reached(phase, target), `${phase} reached ${target}`).to.equal(i >= j);
  });
});
