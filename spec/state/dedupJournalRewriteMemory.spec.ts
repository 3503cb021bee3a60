import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tempDir';

/**
 * Run in a process of its own (mocha's heap would blur the figures), with a 1 MiB young generation
 * so that the short-lived garbage of the lines does not count: what is measured is what the rewrite
 * holds. Prints the largest growth of V8's heap plus array buffers (Buffers) during the rewrite.
 */
const script = `
const { randomUUID } = require('node:crypto');
const { stat } = require('node:fs/promises');
const { DedupJournal } = require(process.argv[1]);
(async () => {
  const n = Number(process.argv[3]);
  // Flat strings, as the window holds them (JSON.parse makes them; randomUUID's are concatenations, which a write would flatten).
  const keys = JSON.parse(JSON.stringify(Array.from({ length: n }, () => randomUUID())));
  const expiresAt = new Float64Array(n).map((_, i) => 1_764_800_000_000 + i);
  const journal = new DedupJournal(process.argv[2]);
  const held = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
  global.gc();
  const start = held();
  let peak = start;
  const sampling = setInterval(() => (peak = Math.max(peak, held())), 1);
  await journal.rewrite({ keys, expiresAt });
  clearInterval(sampling);
  peak = Math.max(peak, held());
  console.log(JSON.stringify({ growth: peak - start, fileBytes: (await stat(process.argv[2])).size, lines: journal.lines }));
})();
`;

describe('DedupJournal.rewrite, memory', () => {
  it('rewrites a window of 1 000 000 keys without holding its text: the heap grows by less than the file it writes', async function () {
    this.timeout(120_000);
    const { dir, remove } = await tempDir();
    try {
      const file = path.join(dir, 'j.dedup.jsonl');
      const lib = path.join(__dirname, '../../lib/state/dedupJournal.js');
      const args = ['--expose-gc', '--max-semi-space-size=1', '-e', script, lib, file, '1000000'];
      const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
      const measured = JSON.parse(stdout) as { growth: number; fileBytes: number; lines: number };
      console.log(
        `      rewrite of 1 000 000 keys: ${(measured.fileBytes / 2 ** 20).toFixed(1)} MiB written, heap + buffers +${(measured.growth / 2 ** 20).toFixed(1)} MiB`,
      );
      expect(measured.lines).to.equal(1_000_000);
      expect(measured.fileBytes).to.equal(1_000_000 * '["00000000-0000-0000-0000-000000000000",1764800000000]\n'.length);
      // The whole text as one string, its lines and its bytes took over five times the file (+276 MiB for these 52 MiB);
      // the chunks take +16-17 MiB on Node 20 and ~+31 MiB on Node 24 (whose young generation the flag above bounds less).
      expect(measured.growth).to.be.below(measured.fileBytes);
    } finally {
      await remove();
    }
  });
});
