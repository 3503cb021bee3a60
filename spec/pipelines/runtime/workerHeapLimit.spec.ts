import { expect } from 'chai';
import { decodeConfig } from '../../../lib/config/loadConfig';
import { workerHeapLimit } from '../../../pipelines/runtime/workerHeapLimit';
import { workUnits } from '../../../pipelines/runtime/workUnits';

const config = (pod: Record<string, unknown> = {}) =>
  decodeConfig(
    {
      globals: { id: '1', name: 'heap', multiprocessing: true },
      outputs: {
        devo_1: { type: 'devo_platform', config: { address: 'collector-us.devo.io', port: 443, type: 'SSL', chain: 'chain.crt', cert: 'c.crt', key: 'c.key' } },
      },
      inputs: {
        proofpoint_on_demand: { id: '2', credentials: { cluster_id: 'c', api_token: 'token-123456' }, services: { message: pod, audit: {} } },
        proofpoint_casb: {
          id: '3',
          credentials: { api_key: 'key-123456', client_id: 'i', client_secret: 'secret-123456' },
          services: { alerts: {}, events: { dedup_max_size_in_mb: 64 } },
        },
      },
    },
    { baseDir: '/tmp/heap' },
  );

describe('workerHeapLimit', () => {
  it('gives a PoD worker 96 MiB + 1.4 x its de-dup window (a turned-over window and its rebuild) + 8 x max_event_size_in_mb: 711 MiB by default', () => {
    const [message, audit] = workUnits(config());
    expect(workerHeapLimit(message!.config)).to.deep.equal({ maxOldGenerationSizeMb: 711, maxYoungGenerationSizeMb: 16 });
    expect(workerHeapLimit(audit!.config)).to.deep.equal({ maxOldGenerationSizeMb: 711, maxYoungGenerationSizeMb: 16 });
  });

  it('follows the settings of the service', () => {
    const [message] = workUnits(config({ dedup_max_size_in_mb: 16, max_event_size_in_mb: 1 }));
    expect(workerHeapLimit(message!.config)).to.deep.equal({ maxOldGenerationSizeMb: Math.ceil(96 + 1.4 * 16 + 8), maxYoungGenerationSizeMb: 16 });
  });

  it('gives a CASB worker 96 MiB + 1.4 x its windows + 512 MiB for pages', () => {
    const casb = workUnits(config()).find((u) => u.name === 'casb/3')!;
    expect(workerHeapLimit(casb.config)).to.deep.equal({ maxOldGenerationSizeMb: Math.ceil(96 + 1.4 * (256 + 64) + 512), maxYoungGenerationSizeMb: 16 });
  });
});
