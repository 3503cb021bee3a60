import { expect } from 'chai';
import { runCli } from '../helpers/runCli';

/** The paragraph of `--help` that describes `command`, up to the next command. */
function paragraph(help: string, command: string): string {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  proofpoint-devo-collector ${command}`));
  expect(start, command).to.be.at.least(0);
  const end = lines.findIndex((l, i) => i > start && (l.startsWith('  proofpoint-devo-collector ') || l === ''));
  return lines.slice(start, end).join('\n');
}

describe('CLI --help', () => {
  it('lists each exit code under the command that gives it: the state directory ones under run, not status', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).to.equal(0);
    expect(paragraph(stdout, 'run')).to.include('STATE_DIRECTORY_UNWRITABLE').and.include('STATE_DIRECTORY_LOCKED');
    expect(paragraph(stdout, 'status')).not.to.match(/STATE_/);
    expect(paragraph(stdout, 'status')).to.match(/exit 0, or 1 when the collector cannot be\s+reached or does not answer 200/);
    const exits = stdout.slice(stdout.indexOf('Exit codes:'));
    expect(exits)
      .to.match(/^ {2}0 /m)
      .and.match(/^ {2}1 /m)
      .and.match(/^ {2}2 {2}a command line that cannot be run as given/m);
  });

  it('every command answers --help with the usage and exit 0', async () => {
    for (const command of ['run', 'validate', 'status', 'demo']) {
      const { code, stdout, stderr } = await runCli([command, '--help']);
      expect(stderr, command).to.equal('');
      expect(code, command).to.equal(0);
      expect(stdout, command).to.include(`proofpoint-devo-collector ${command} `);
    }
  });
});
