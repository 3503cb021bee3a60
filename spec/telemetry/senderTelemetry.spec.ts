import { expect } from 'chai';
import { SenderTelemetry } from '../../lib/telemetry/senderTelemetry';

describe('SenderTelemetry (what a sender reports of its connections)', () => {
  it('a connection that opens with nothing to deliver clears failingSince; one with something to deliver does not', () => {
    for (const [nothingToDeliver, failing] of [
      [true, false],
      [false, true],
    ] as const) {
      const t = new SenderTelemetry(() => 1000);
      t.failed();
      t.opened(nothingToDeliver);
      expect(t.connected).to.equal(true);
      expect(t.connections).to.equal(1);
      expect(t.failingSince !== undefined, `nothing to deliver: ${nothingToDeliver}`).to.equal(failing);
    }
  });

  it('counts how a connection ended: clean, answered by EOF but not clean, or lost', () => {
    const table: ReadonlyArray<[clean: boolean, opened: boolean, eof: boolean, failures: number, lost: number, failing: boolean]> = [
      [true, true, true, 0, 0, false],
      // An EOF on a young connection or with writes in flight confirms nothing, yet the relay answered: not a failure.
      [false, true, true, 0, 1, false],
      [false, true, false, 1, 1, true],
      [false, false, false, 1, 0, true],
    ];
    for (const [clean, opened, confirmedByEof, failures, lost, failing] of table) {
      const t = new SenderTelemetry(() => 1000);
      t.opened();
      t.ended(clean, { opened, confirmedByEof });
      const row = `clean ${clean} opened ${opened} eof ${confirmedByEof}`;
      expect(t.connected, row).to.equal(false);
      expect(t.failures, row).to.equal(failures);
      expect(t.connectionsLost, row).to.equal(lost);
      expect(t.failingSince !== undefined, row).to.equal(failing);
    }
  });

  it('a clean end clears a failure reported before', () => {
    const t = new SenderTelemetry(() => 1000);
    t.failed();
    t.ended(true, { opened: true, confirmedByEof: true });
    expect(t.failingSince).to.equal(undefined);
    expect(t.failures).to.equal(1);
  });
});
