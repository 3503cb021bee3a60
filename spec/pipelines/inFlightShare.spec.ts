import { expect } from 'chai';
import { decodeConfig } from '../../lib/config/loadConfig';
import { inFlightShare } from '../../pipelines/inFlightShare';
import { podTuningFor } from '../../pipelines/pod/podTuning';

const config = (globals: Record<string, unknown>, podServices: string[], casbServices: string[]) =>
  decodeConfig(
    {
      globals: { id: '1', name: 'c', ...globals },
      outputs: { devo_1: { type: 'devo_platform', config: { address: 'h', port: 443, type: 'SSL', chain: 'a', cert: 'b', key: 'c' } } },
      inputs: {
        proofpoint_on_demand: {
          id: '2',
          credentials: { cluster_id: 'c', api_token: 'token-123456' },
          services: Object.fromEntries(podServices.map((s) => [s, {}])),
        },
        proofpoint_casb: {
          id: '3',
          credentials: { api_key: 'key-123456', client_id: 'i', client_secret: 'secret-123456' },
          services: Object.fromEntries(casbServices.map((s) => [s, {}])),
        },
      },
    },
    { baseDir: '/tmp' },
  );

describe("the services' share of Devo's queue limits", () => {
  // [case, globals, PoD services, CASB services, share, PoD valve items, PoD sort items, PoD valve bytes, PoD sort bytes]
  const cases: Array<[string, Record<string, unknown>, string[], string[], [number, number], number, number, number, number]> = [
    ["Devo's defaults, 2 services: above the pipelines' own bounds", {}, ['message'], ['alerts'], [5000, 512 * 1048576], 4096, 1024, 4 * 1048576, 16 * 1048576],
    [
      "Devo's defaults, 5 services: 2 000 events each",
      {},
      ['message', 'maillog', 'audit'],
      ['alerts', 'events'],
      [2000, 204.8 * 1048576],
      2000,
      500,
      4 * 1048576,
      16 * 1048576,
    ],
    [
      'queue_max_size_in_mb: 16, one service: valve and sort window share its 16 MiB',
      { queue_max_size_in_mb: 16 },
      ['message'],
      [],
      [10_000, 16 * 1048576],
      4096,
      1024,
      4 * 1048576,
      12 * 1048576,
    ],
    [
      'a small queue: its share bounds the valve (half the bytes) and the sort window (the rest)',
      { queue_max_size_in_messages: 400, queue_max_size_in_mb: 2 },
      ['message', 'maillog'],
      [],
      [200, 1048576],
      200,
      50,
      524288,
      524288,
    ],
  ];
  for (const [what, globals, pod, casb, share, valveItems, sortItems, valveBytes, sortBytes] of cases) {
    it(what, () => {
      const c = config(globals, pod, casb);
      expect(inFlightShare(c)).to.deep.equal({ maxEvents: share[0], maxBytes: Math.floor(share[1]) });
      expect(podTuningFor(c)).to.deep.equal({ valveMaxItems: valveItems, valveMaxBytes: valveBytes, sortMaxItems: sortItems, sortMaxBytes: sortBytes });
      expect(valveBytes + sortBytes).to.be.at.most(share[1]);
    });
  }
});
