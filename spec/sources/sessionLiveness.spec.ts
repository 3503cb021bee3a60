import { expect } from 'chai';
import { SessionLiveness } from '../../lib/sources/sessionLiveness';

describe('SessionLiveness', () => {
  const at = (start: number) => {
    const clock = { now: start };
    return { clock, liveness: new SessionLiveness(() => clock.now, 100) };
  };

  it('expires once no sign of life came for the timeout', () => {
    const { clock, liveness } = at(1000);
    clock.now = 1100;
    expect(liveness.expired()).to.equal(false);
    clock.now = 1101;
    expect(liveness.expired()).to.equal(true);
    liveness.alive();
    expect(liveness.expired()).to.equal(false);
  });

  it('counts a frame as of the next check, without reading the clock when it comes', () => {
    let reads = 0;
    let now = 0;
    const liveness = new SessionLiveness(() => (reads++, now), 100);
    reads = 0;
    for (let i = 0; i < 1000; i++) liveness.frame();
    expect(reads).to.equal(0);
    now = 500;
    expect(liveness.expired(), 'alive at the check after the frames').to.equal(false);
    now = 601;
    expect(liveness.expired(), 'nothing since').to.equal(true);
  });

  it('judges nothing while paused, and counts from the resume', () => {
    const { clock, liveness } = at(0);
    liveness.paused = true;
    clock.now = 5000;
    expect(liveness.expired()).to.equal(false);
    liveness.paused = false;
    clock.now = 5100;
    expect(liveness.expired()).to.equal(false);
    clock.now = 5101;
    expect(liveness.expired()).to.equal(true);
  });
});
