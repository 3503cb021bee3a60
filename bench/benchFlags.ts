import { parseArgs } from 'node:util';
import { DEDUP_ENTRY_BYTES } from '../lib/operators/dedupWindow';
import { DEDUP_MAX_SIZE_IN_MB } from '../lib/config/resolveConfig';

/** The options of `npm run bench` (see BENCHMARKS.md, "Reproduce"), with their defaults. */
export function benchFlags() {
  return parseArgs({
    options: {
      n: { type: 'string', default: '200000' },
      rate: { type: 'string', default: '5000' },
      'latency-seconds': { type: 'string', default: '20' },
      'dedup-keys': { type: 'string', default: '1000000' },
      'workers-n': { type: 'string', default: '100000' },
      'idle-seconds': { type: 'string', default: '10' },
      scenarios: { type: 'string', default: 'throughput,per-event,latency,dedup,idle,workers' },
      shapes: { type: 'string', default: 'maillog,message-1.5k,message-3k,mix' },
      before: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results' },
      rounds: { type: 'string', default: '3' },
      profile: { type: 'boolean', default: false },
      // Node options of the collector's process in every run (e.g. "--max-old-space-size=352").
      'collector-node-options': { type: 'string', default: '' },
      'memory-hold-seconds': { type: 'string', default: '30' },
      'memory-rate': { type: 'string', default: '1000' },
      'memory-dedup': { type: 'string', default: '16,64,256' },
      'memory-queue': { type: 'string', default: 'default,4,16,64,256' },
      'memory-services': { type: 'string', default: '1,3,5' },
      'soak-seconds': { type: 'string', default: '600' },
      'soak-rate': { type: 'string', default: '5000' },
      'soak-window-seconds': { type: 'string', default: '60' },
      // Default: the default window (dedup_max_size_in_mb) full of 36-character keys, as after an hour.
      'soak-preload-keys': { type: 'string', default: String(Math.floor((DEDUP_MAX_SIZE_IN_MB * 2 ** 20) / (DEDUP_ENTRY_BYTES + 36))) },
    },
  }).values;
}
