import { CasbSimulator } from '../lib/simulators/casbSimulator';

/**
 * The benchmark's CASB stand-in (a child process): the CASB simulator in real time, its alerts and
 * events each a record every `intervalMs` from a minute ago (a minute's backlog, then a steady
 * stream). Reports its URL on IPC; stops on `{ stop: true }`.
 */
interface Options {
  readonly intervalMs: number;
}

async function run(options: Options): Promise<void> {
  const timeline = { startTime: Date.now() - 60_000, intervalMs: options.intervalMs };
  const casb = await CasbSimulator.start({
    apiKey: 'bench',
    clientId: 'bench',
    clientSecret: 'bench',
    alerts: { timeline },
    events: { timeline },
    pageSize: 500,
  });
  process.send?.({ url: casb.url });
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop === true) void casb.stop().then(() => process.exit(0));
  });
}

void run(JSON.parse(process.argv[2] ?? '{}') as Options);
