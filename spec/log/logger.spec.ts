import { expect } from 'chai';
import { createLogger } from '../../lib/log/logger';
import { SecretRedactor } from '../../lib/log/secretRedactor';

describe('createLogger', () => {
  const at = Date.UTC(2024, 7, 9, 10, 48, 10, 163);

  it("writes the seeds' line shape with the scope", () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), now: () => at }).child('InputProcess::PodPuller(proofpoint_on_demand,12345,message,predefined)');
    log.info('Pull Started');
    log.warn('careful');
    log.error('Handshake status 409 Conflict');
    expect(lines).to.deep.equal([
      '2024-08-09T10:48:10.163Z INFO InputProcess::PodPuller(proofpoint_on_demand,12345,message,predefined) -> Pull Started',
      '2024-08-09T10:48:10.163Z WARNING InputProcess::PodPuller(proofpoint_on_demand,12345,message,predefined) -> careful',
      '2024-08-09T10:48:10.163Z ERROR InputProcess::PodPuller(proofpoint_on_demand,12345,message,predefined) -> Handshake status 409 Conflict',
    ]);
  });

  it('writes DEBUG lines only when debug is on, building lazy messages only then', () => {
    const lines: string[] = [];
    let built = 0;
    const message = () => {
      built++;
      return 'costly';
    };
    createLogger({ write: (l) => lines.push(l) }).debug(message);
    expect(built).to.equal(0);
    createLogger({ write: (l) => lines.push(l), debug: true }).debug(message);
    expect(built).to.equal(1);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/ DEBUG MainProcess::MainThread -> costly$/);
  });

  it('masks registered secrets and escapes line breaks (no forged lines)', () => {
    const lines: string[] = [];
    const redactor = new SecretRedactor(['tok-123456', 'abc']);
    const log = createLogger({ write: (l) => lines.push(l), redactor });
    log.error('Authorization: Bearer tok-123456\nFAKE 2024 ERROR injected');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include('Bearer ***\\nFAKE');
    expect(lines[0]).not.to.include('tok-123456');
  });

  it('masks a secret added after the logger was made, the longest match first', () => {
    const lines: string[] = [];
    const redactor = new SecretRedactor();
    const log = createLogger({ write: (l) => lines.push(l), redactor });
    redactor.add('secret');
    redactor.add('secret-longer');
    log.info('secret-longer and secret');
    expect(lines[0]).to.match(/-> \*\*\* and \*\*\*$/);
  });
});
