import type { IncomingMessage } from 'node:http';
import {
  asyncScheduler,
  defer,
  EMPTY,
  finalize,
  interval,
  mergeMap,
  NEVER,
  Observable,
  of,
  repeat,
  retry,
  share,
  takeUntil,
  timer,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import WebSocket from 'ws';
import { CollectorError, errorMessage } from '../errors/collectorError';
import type { Valve } from '../flow/valve';
import { silentLogger, type Logger } from '../log/logger';
import { podHandshakeRefusal } from './podHandshakeRefusal';
import { backoffDelay } from '../flow/backoff';
import { reportError } from '../log/reportError';
import { POD_PING_INTERVAL_MS, POD_PONG_TIMEOUT_MS } from './podDefaults';
import { SessionLiveness } from './sessionLiveness';

/** What a {@link podSource} emits. */
export type PodSourceEvent =
  /** One websocket message, as received (text or binary). */
  | { readonly kind: 'frame'; readonly data: Buffer; readonly isBinary: boolean }
  /** A session started (the handshake succeeded). */
  | { readonly kind: 'open'; readonly sinceTime: number | undefined }
  /** A session ended: whatever is buffered downstream should be flushed. */
  | { readonly kind: 'closed'; readonly code: number; readonly reason: string };

/** Options of {@link podSource}. */
export interface PodSourceOptions {
  /** `wss://logstream.proofpoint.com:443` or an override (no trailing slash). */
  readonly urlBase: string;
  readonly clusterId: string;
  /** `message`, `maillog` or `audit`. */
  readonly type: string;
  readonly apiToken: string;
  /** Least time between the starts of two sessions (`period_in_seconds`). */
  readonly periodMs: number;
  /** Asked before every connection: the `sinceTime` to send (UTC epoch ms), or none. */
  readonly sinceTime: () => number | undefined;
  /**
   * Stops the source cleanly: the open session is closed with code 1000 and every frame the
   * server sent before its close frame is still emitted; then the source completes.
   */
  readonly stop$?: Observable<unknown>;
  /** While closed, the socket is paused (the server's sends back up in TCP). */
  readonly valve?: Valve;
  /** Largest frame accepted. Default 128 MiB. */
  readonly maxFrameBytes?: number;
  /** Ping period. Default 30 s. */
  readonly pingIntervalMs?: number;
  /** A session with no pong for this long is dropped and replaced. Default 60 s. */
  readonly pongTimeoutMs?: number;
  /** After our close frame, a server that does not answer it within this long is cut off. Default 5 s. */
  readonly closeTimeoutMs?: number;
  /**
   * Wall-clock deadline of a handshake: from the connection attempt to the server's complete
   * answer (a refusal's body included, of which at most 2 KiB is read). An attempt past it is
   * abandoned (`POD_HANDSHAKE_TIMEOUT`) and retried with backoff, however slowly the server drips
   * its bytes. Default 30 s.
   */
  readonly handshakeTimeoutMs?: number;
  /** Longest wait after repeated 409s or network failures. Default 10 min. */
  readonly backoffMaxMs?: number;
  /** Wait after a 400/401/404 (a setting is wrong; retried slowly). Default 5 min. */
  readonly badSettingsRetryMs?: number;
  /** Prefix of the setting names in messages. Default `inputs.proofpoint_on_demand`. */
  readonly settingPrefix?: string;
  readonly logger?: Logger;
  /**
   * Called with the outcome of every session attempt: `101` (the handshake succeeded), the HTTP
   * status of a refused handshake (`409`, `401`, …), or `error` (no answer).
   */
  readonly onAttempt?: (outcome: string) => void;
  readonly scheduler?: SchedulerLike;
  readonly random?: () => number;
}

/** The URL of one PoD Log API session. */
export function podStreamUrl(urlBase: string, clusterId: string, type: string, sinceTime?: number): string {
  const url = new URL(`${urlBase.replace(/\/+$/, '')}/v1/stream`);
  url.searchParams.set('cid', clusterId);
  url.searchParams.set('type', type);
  if (sinceTime !== undefined) url.searchParams.set('sinceTime', new Date(sinceTime).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  return url.toString();
}

/**
 * The PoD Log API as a cold stream of sessions: subscribing connects to
 * `{urlBase}/v1/stream?cid=…&type=…[&sinceTime=…]` with `Authorization: Bearer {apiToken}`, emits
 * every frame (up to `maxFrameBytes`, text or binary) and an `open`/`closed` event per session.
 * Pings every `pingIntervalMs`; a session without a pong for `pongTimeoutMs` is terminated. While
 * the `valve` is closed the socket is paused.
 *
 * When a session ends for any reason, the next one starts no earlier than `periodMs` after the
 * previous start. Handshake failures are retried: 409 (another session holds the token) with
 * capped exponential backoff and jitter, 400/401/404 (a setting is wrong) every
 * `badSettingsRetryMs`, network errors with backoff; each is logged with the setting to check.
 *
 * Completes only after `stop$` emits (once the open session has drained), never errors.
 * Unsubscribing closes the socket at once (close code 1000; frames in flight are not read) and
 * cancels every timer.
 *
 * @example
 * podSource({ urlBase, clusterId, type: 'message', apiToken, periodMs: 60_000, sinceTime: () => undefined })
 */
export function podSource(options: PodSourceOptions): Observable<PodSourceEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const backoffMaxMs = options.backoffMaxMs ?? 600_000;
  const badSettingsRetryMs = options.badSettingsRetryMs ?? 300_000;

  return defer(() => {
    let lastStart = -Infinity;
    let stopping = false;
    const stop$ = (options.stop$ ?? NEVER).pipe(share());
    const stopSubscription = stop$.subscribe(() => (stopping = true));
    /** A wait that ends early, without emitting, when the source is stopped. */
    const wait = (ms: number): Observable<unknown> => (stopping ? EMPTY : (ms > 0 ? timer(ms, scheduler) : of(0)).pipe(takeUntil(stop$)));
    const connect = defer(() =>
      wait(lastStart + options.periodMs - scheduler.now()).pipe(
        mergeMap(() => {
          if (stopping) return EMPTY;
          lastStart = scheduler.now();
          return session(options, options.sinceTime(), stop$, scheduler, logger);
        }),
      ),
    );
    return connect.pipe(
      repeat({ delay: () => wait(0) }),
      retry({
        resetOnSuccess: true,
        delay: (err: unknown, attempt) => {
          if (stopping) return EMPTY;
          const code = err instanceof CollectorError ? err.code : undefined;
          const jittered = backoffDelay({ initialMs: options.periodMs, maxMs: backoffMaxMs }, attempt, random);
          const delay =
            code === 'POD_HANDSHAKE_400' || code === 'POD_HANDSHAKE_401' || code === 'POD_HANDSHAKE_404'
              ? Math.max(badSettingsRetryMs, options.periodMs)
              : Math.max(jittered, options.periodMs);
          reportError(logger, err, `. Retrying in ${(delay / 1000).toFixed(3)} s (attempt ${attempt})`);
          return wait(delay);
        },
      }),
      finalize(() => stopSubscription.unsubscribe()),
    );
  });
}

function session(
  options: PodSourceOptions,
  sinceTime: number | undefined,
  stop$: Observable<unknown>,
  scheduler: SchedulerLike,
  logger: Logger,
): Observable<PodSourceEvent> {
  const prefix = options.settingPrefix ?? 'inputs.proofpoint_on_demand';
  const url = podStreamUrl(options.urlBase, options.clusterId, options.type, sinceTime);
  return new Observable<PodSourceEvent>((subscriber) => {
    const pingIntervalMs = options.pingIntervalMs ?? POD_PING_INTERVAL_MS;
    const pongTimeoutMs = options.pongTimeoutMs ?? POD_PONG_TIMEOUT_MS;
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 30_000;
    const handshakeStart = scheduler.now();
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${options.apiToken}` },
      maxPayload: options.maxFrameBytes ?? 128 * 1024 * 1024,
      // An idle timeout (ws's): the wall-clock deadline below bounds a server that drips its bytes.
      handshakeTimeout: handshakeTimeoutMs,
      perMessageDeflate: true,
    });
    let opened = false;
    /** The server answered the handshake with a status (a refusal). */
    let answered = false;
    let failure: CollectorError | undefined;
    let lastError: Error | undefined;
    const liveness = new SessionLiveness(() => scheduler.now(), pongTimeoutMs);
    let pinger: Subscription | undefined;
    let valveSubscription: Subscription | undefined;
    let terminator: Subscription | undefined;
    const where = `${options.type} session at ${options.urlBase}`;
    const closeGracefully = (): void => {
      if (ws.readyState === WebSocket.CONNECTING) {
        ws.terminate();
        return;
      }
      if (ws.readyState !== WebSocket.OPEN) return;
      // Frames the server sent before answering the close frame still arrive and are emitted.
      ws.resume();
      ws.close(1000, 'collector stopping');
      // A server that does not answer the close frame must not keep the socket (or the process) alive.
      terminator = scheduler.schedule(() => ws.terminate(), options.closeTimeoutMs ?? 5000);
    };
    const stopSubscription = stop$.subscribe(() => closeGracefully());
    // The handshake as a whole (headers, or a refusal's body) gets this long, by the clock.
    const handshakeDeadline = scheduler.schedule(() => {
      if (opened || answered) return;
      failure = new CollectorError(
        'POD_HANDSHAKE_TIMEOUT',
        `No complete answer to the handshake within ${handshakeTimeoutMs / 1000} s (${where}): the server or a proxy on the way is too slow or stalled. Check ${prefix}.services.${options.type}.override_url_base (or the input's) and the network`,
      );
      ws.terminate();
    }, handshakeTimeoutMs);

    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      options.onAttempt?.(String(res.statusCode ?? 0));
      answered = true;
      const left = handshakeTimeoutMs - (scheduler.now() - handshakeStart);
      void podHandshakeRefusal(res, { type: options.type, prefix }, left, scheduler).then((refusal) => {
        failure = refusal;
        ws.terminate();
      });
    });
    ws.on('open', () => {
      opened = true;
      handshakeDeadline.unsubscribe();
      options.onAttempt?.('101');
      liveness.alive();
      logger.info(
        sinceTime === undefined
          ? `Connected to the PoD Log API (${where})`
          : `Connected to the PoD Log API (${where}) with sinceTime=${new Date(sinceTime).toISOString()}`,
      );
      subscriber.next({ kind: 'open', sinceTime });
      pinger = interval(pingIntervalMs, scheduler).subscribe(() => {
        if (liveness.expired()) {
          logger.problem('POD_PONG_TIMEOUT', `no pong from the PoD Log API for ${Math.round(pongTimeoutMs / 1000)} s (${where}); reconnecting`);
          ws.terminate();
          return;
        }
        if (!liveness.paused) ws.ping();
      });
      valveSubscription = options.valve?.open$.subscribe((open) => {
        liveness.paused = !open;
        if (open) {
          liveness.alive();
          ws.resume();
        } else ws.pause();
      });
    });
    ws.on('pong', () => liveness.alive());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      liveness.frame();
      subscriber.next({ kind: 'frame', data, isBinary });
    });
    ws.on('error', (err) => {
      lastError = err;
    });
    ws.on('close', (code: number, reason: Buffer) => {
      handshakeDeadline.unsubscribe();
      pinger?.unsubscribe();
      valveSubscription?.unsubscribe();
      stopSubscription.unsubscribe();
      terminator?.unsubscribe();
      if (!opened) {
        if (!answered) options.onAttempt?.('error');
        subscriber.error(
          failure ??
            new CollectorError(
              'POD_HANDSHAKE_FAILED',
              `Cannot connect to the PoD Log API (${where}): ${lastError === undefined ? `closed with code ${code}` : errorMessage(lastError)}. Check ${prefix}.services.${options.type}.override_url_base (or the input's) and the network`,
              { cause: lastError },
            ),
        );
        return;
      }
      const text = reason.toString('utf8');
      const detail = `code ${code}${text === '' ? '' : ` "${text}"`}${lastError === undefined ? '' : `, ${errorMessage(lastError)}`}`;
      if (code === 1000) logger.info(`The ${options.type} session ended normally (${detail})`);
      else logger.problem('POD_CONNECTION_LOST', `the ${options.type} session ended abnormally (${detail})`);
      subscriber.next({ kind: 'closed', code, reason: text });
      subscriber.complete();
    });

    return () => {
      handshakeDeadline.unsubscribe();
      pinger?.unsubscribe();
      valveSubscription?.unsubscribe();
      stopSubscription.unsubscribe();
      closeGracefully();
    };
  });
}
