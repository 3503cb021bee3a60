import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const read = (file: string) => readFile(path.join(ROOT, file), 'utf8');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(rel)));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

describe('one home for each fact (issue 22 item 6)', () => {
  it('the main thread reads every message kind a worker posts', async () => {
    const protocol = await read('pipelines/runtime/workerProtocol.ts');
    const posted = protocol.slice(protocol.indexOf('export type WorkerMessage'));
    const kinds = [...posted.matchAll(/type: '([a-z]+)'/g)].map((m) => m[1]!);
    const supervisor = await read('pipelines/runtime/workerSupervisor.ts');
    expect(kinds.filter((kind) => !supervisor.includes(`message.type === '${kind}'`))).to.deep.equal([]);
  });

  it('no pipeline file names the CASB vendor paths or record fields (lib/sources holds them)', async () => {
    const names = ["'/v1/alerts'", "'/v2/events'", "'related_events'", "'additionalProperties'", "'eventId'", "'timestamp'"];
    const offenders: string[] = [];
    for (const file of await sources('pipelines')) {
      const text = await read(file);
      for (const name of names) if (text.includes(name)) offenders.push(`${file}: ${name}`);
    }
    expect(offenders).to.deep.equal([]);
  });

  it('the CASB pipeline needs no cast for its state', async () => {
    const offenders: string[] = [];
    for (const file of await sources('pipelines')) {
      if (!path.basename(file).startsWith('casb')) continue;
      const text = await read(file);
      for (const m of text.matchAll(/ as (unknown|CasbAlertsState|CasbEventsState|CasbState)\b/g)) offenders.push(`${file}: ${m[0]}`);
    }
    expect(offenders).to.deep.equal([]);
  });

  it('the queue share is an InFlightLimits, not a type of its own', async () => {
    expect(await read('pipelines/inFlightShare.ts')).not.to.match(/interface InFlightShare\b/);
  });
});
