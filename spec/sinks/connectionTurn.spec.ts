import { expect } from 'chai';
import { FIRST_TURN, isProbe, nextTurn, turnEnd, waitsForDrain, type CloseReason, type ConnectionTurn, type TurnEvent } from '../../lib/sinks/connectionTurn';

const idle = (planned: boolean): ConnectionTurn => ({ state: 'idle', planned });
const connecting = (probe: boolean, planned = false): ConnectionTurn => ({ state: 'connecting', probe, planned });
const writing: ConnectionTurn = { state: 'writing' };
const waitingDrain: ConnectionTurn = { state: 'waiting-drain' };
const confirming = (full: boolean): ConnectionTurn => ({ state: 'confirming-when-written', full });
const closing = (reason: CloseReason): ConnectionTurn => ({ state: 'closing', reason });

describe('connectionTurn (where a sender’s connection is, from connect to close)', () => {
  it('moves from connect through writing, a full socket and a confirming close to the close', () => {
    const table: ReadonlyArray<[from: ConnectionTurn, event: TurnEvent, to: ConnectionTurn]> = [
      [FIRST_TURN, { type: 'connect', probe: false }, connecting(false)],
      [idle(true), { type: 'connect', probe: true }, connecting(true, true)],
      [idle(true), { type: 'connect', probe: false }, connecting(false, true)],
      [connecting(true), { type: 'opened' }, writing],
      [connecting(false, true), { type: 'opened' }, writing],
      [writing, { type: 'full' }, waitingDrain],
      [waitingDrain, { type: 'drained' }, writing],
      [writing, { type: 'confirm' }, confirming(false)],
      [waitingDrain, { type: 'confirm' }, confirming(true)],
      [confirming(true), { type: 'drained' }, confirming(false)],
      [confirming(false), { type: 'confirm' }, confirming(false)],
      [writing, { type: 'halfClose', reason: 'probe' }, closing('probe')],
      [waitingDrain, { type: 'halfClose', reason: 'confirm' }, closing('confirm')],
      [confirming(true), { type: 'halfClose', reason: 'confirm' }, closing('confirm')],
      [writing, { type: 'halfClose', reason: 'idle' }, closing('idle')],
      [writing, { type: 'halfClose', reason: 'recycle' }, closing('recycle')],
      [closing('probe'), { type: 'closed', clean: true }, idle(true)],
      [closing('confirm'), { type: 'closed', clean: false }, idle(false)],
      [connecting(true), { type: 'closed', clean: false }, idle(false)],
      [writing, { type: 'closed', clean: false }, idle(false)],
    ];
    for (const [from, event, to] of table) expect(nextTurn(from, event), `${JSON.stringify(from)} ${JSON.stringify(event)}`).to.deep.equal(to);
  });

  it('leaves a state as it is on an event that does not apply to it', () => {
    const table: ReadonlyArray<[from: ConnectionTurn, event: TurnEvent]> = [
      [writing, { type: 'opened' }],
      [writing, { type: 'drained' }],
      [waitingDrain, { type: 'full' }],
      [closing('confirm'), { type: 'opened' }],
      [closing('probe'), { type: 'full' }],
      [closing('confirm'), { type: 'drained' }],
      [closing('probe'), { type: 'confirm' }],
      [connecting(true), { type: 'confirm' }],
      [idle(true), { type: 'drained' }],
    ];
    for (const [from, event] of table) expect(nextTurn(from, event), `${JSON.stringify(from)} ${JSON.stringify(event)}`).to.equal(from);
  });

  it('a turn that was not idle does not pass a planned end on to the next connection', () => {
    expect(nextTurn(writing, { type: 'connect', probe: false })).to.deep.equal(connecting(false, false));
  });

  it('waits for the socket’s drain while it is full, and knows a probe from connect to close', () => {
    const turns: ConnectionTurn[] = [
      idle(false),
      connecting(true),
      connecting(false),
      writing,
      waitingDrain,
      confirming(true),
      confirming(false),
      closing('probe'),
      closing('confirm'),
      closing('idle'),
    ];
    expect(turns.filter(waitsForDrain)).to.deep.equal([waitingDrain, confirming(true)]);
    expect(turns.filter(isProbe)).to.deep.equal([connecting(true), closing('probe')]);
  });

  it('ends clean on an EOF past the probation with nothing in flight; a probe’s EOF answers too', () => {
    const table: ReadonlyArray<[turn: ConnectionTurn, eof: boolean, inflight: boolean, lived: number, clean: boolean, answered: boolean]> = [
      [closing('confirm'), true, false, 1000, true, true],
      [closing('confirm'), true, true, 1000, false, false],
      [closing('confirm'), true, false, 10, false, false],
      [closing('confirm'), false, false, 1000, false, false],
      [closing('probe'), true, false, 10, false, true],
      [closing('probe'), false, false, 1000, false, false],
      [writing, true, false, 10, false, false],
      [connecting(true), false, false, 0, false, false],
    ];
    for (const [turn, eof, inflight, lived, clean, answered] of table) {
      const end = { opened: true, lived, confirmedByEof: eof };
      expect(turnEnd(turn, end, inflight, 500), `${JSON.stringify(turn)} eof ${eof} inflight ${inflight} lived ${lived}`).to.deep.equal({ clean, answered });
    }
  });
});
