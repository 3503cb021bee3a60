import type * as t from 'io-ts';
import type { Logger } from '../lib/log/logger';
import { dedupWindow, type DedupWindow } from '../lib/operators/dedupWindow';
import type { StateMigration } from '../lib/state/stateFile';
import { ServiceStore } from '../lib/state/serviceStore';
import { ServiceTelemetry } from '../lib/telemetry/serviceTelemetry';
import { CommitStep, type CursorPolicy } from './commitStep';
import { earlyForgetReporter } from './earlyForgetReporter';
import type { PipelineDeps } from './runtime/service';

/** What a product tells {@link openServiceSkeleton} about one of its services. */
export interface ServiceSkeletonOptions<S, R> {
  readonly product: 'proofpoint_on_demand' | 'proofpoint_casb';
  readonly inputId: string;
  /** The service's name and the bounds of its de-dup window. */
  readonly service: { readonly name: string; readonly dedupMaxBytes: number; readonly dedupMaxKeys?: number };
  /** The runner's name of the service, e.g. `pod/message`. */
  readonly id: string;
  /** The logger's name, after `InputProcess::` (the seeds' puller name). */
  readonly loggerName: string;
  /** Its files in the state directory (`<base>.json`, ...), and the state's version, codec and migrations. */
  readonly state: {
    readonly base: string;
    readonly version: number;
    readonly codec: t.Type<S, unknown, unknown>;
    readonly migrations?: Readonly<Record<number, StateMigration>>;
  };
  /** A record's de-dup key. */
  readonly key: (record: R) => string;
  /** Size the de-dup window for the keys of the journal (PoD: a window restored at every start). */
  readonly sizeForJournal?: boolean;
  /** The state as the log line `Data retrieved from the persistence: …` shows it (the seeds' shape). */
  readonly render: (state: S) => string;
  /** Logs what comes before the store opens. */
  readonly beforeOpen?: (logger: Logger) => void;
}

/**
 * The preparation every service shares, done: its telemetry and logger, its store, its de-dup
 * window (warning when it forgets early), the state found at start. The product wires its source
 * and stages around it, and commits through {@link commits}.
 */
export interface ServiceSkeleton<S, R> {
  readonly now: () => number;
  readonly telemetry: ServiceTelemetry;
  readonly logger: Logger;
  /** The only way the cursor moves. */
  readonly store: ServiceStore<S>;
  readonly dedup: DedupWindow<R>;
  /** The state found at start. */
  readonly persisted: S | undefined;
  /** Counts a rejected record and writes it to the service's dead letters. */
  deadLetter(text: string, reason: string): void;
  /** Reports what the service holds: in its sort window, in its sink, in its de-dup window. */
  holding(sortWindow: () => number, sink: () => number): void;
  /** The service's commit step, with the product's cursor policy. */
  commits(cursor: CursorPolicy<S>): CommitStep<S>;
  /** The service stopped: not paused nor connected any more; the dead letters written out. */
  close(): void;
}

/**
 * Opens what every service starts with (see {@link ServiceSkeleton}): logs `Reading persisted
 * data`, loads the state and logs it. The de-dup window is left empty: the product restores it
 * (`store.restoreWindow(dedup)`) or resets the store, as its start decision says. Rejects when the
 * store cannot be opened.
 */
export async function openServiceSkeleton<S, R>(options: ServiceSkeletonOptions<S, R>, deps: PipelineDeps): Promise<ServiceSkeleton<S, R>> {
  const { service } = options;
  const now = deps.now ?? Date.now;
  const telemetry = deps.telemetry ?? new ServiceTelemetry(options.product, options.inputId, service.name, now);
  const logger = telemetry.logger(deps.logger.child(`InputProcess::${options.loggerName}`), deps.redactor);
  options.beforeOpen?.(logger);
  const store = await ServiceStore.open<S>({
    directory: deps.stateDirectory,
    base: options.state.base,
    service: options.id,
    version: options.state.version,
    codec: options.state.codec,
    ...(options.state.migrations === undefined ? {} : { migrations: options.state.migrations }),
    logger,
    ...(deps.redactor === undefined ? {} : { redactor: deps.redactor }),
    now,
  });
  const { counters } = telemetry;
  const reportEarlyForget = earlyForgetReporter(logger, `inputs.${options.product}.services.${service.name}`, service, now);
  const dedup = dedupWindow<R>({
    key: options.key,
    ...(options.sizeForJournal === true ? { expectedKeys: await store.journalLines() } : {}),
    maxBytes: service.dedupMaxBytes,
    ...(service.dedupMaxKeys === undefined ? {} : { maxKeys: service.dedupMaxKeys }),
    onDuplicate: () => counters.duplicates++,
    onEarlyForget: (age) => {
      counters.forgottenEarly++;
      reportEarlyForget(age);
    },
    ...(deps.scheduler === undefined ? {} : { scheduler: deps.scheduler }),
  });

  logger.info('Reading persisted data');
  const persisted = await store.load();
  logger.info(`Data retrieved from the persistence: ${persisted === undefined ? 'None' : options.render(persisted)}`);
  return {
    now,
    telemetry,
    logger,
    store,
    dedup,
    persisted,
    deadLetter(text, reason) {
      counters.deadLettered++;
      store.deadLetter.write(text, reason);
    },
    holding(sortWindow, sink) {
      telemetry.holding(() => ({ sortWindow: sortWindow(), sink: sink(), dedupKeys: dedup.size, dedupBytes: dedup.bytes }));
    },
    commits: (cursor) => new CommitStep({ store, dedup, telemetry, logger, now, cursor }),
    close() {
      telemetry.paused(false);
      telemetry.connected = false;
      void store.deadLetter.flush();
    },
  };
}
