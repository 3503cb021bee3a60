import { AxiosError } from 'axios';
import { CollectorError, errorMessage } from '../errors/collectorError';
import type { Logger } from '../log/logger';

/**
 * The CASB API's answers, read strictly: each body that breaks the contract is
 * `CASB_BAD_RESPONSE`, with the start of the body (redacted) in the message. With
 * `casbClient.ts`, the only code that knows the vendor's names (`alerts`, `size`,
 * `nextPageToken`, `content`, `auth_token`, `expires_in`).
 */

/** The HTTP status behind a client error, if the server answered. */
export function casbHttpStatus(err: unknown): number | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  if (err instanceof AxiosError) return err.response?.status;
  if (cause instanceof AxiosError) return cause.response?.status;
  return undefined;
}

/**
 * One page of `/v2/events`: the answer's `content` and `nextPageToken`. `events` is empty when the
 * server is caught up (`size: 0`); `nextPageToken` is then where the next cycle resumes (undefined
 * when the answer has none: keep the current position).
 */
export interface CasbEventsPage {
  readonly events: readonly unknown[];
  /** Where the next page (or, after an empty page, the next cycle) starts. */
  readonly nextPageToken: string | undefined;
}

/** Reads an answer of `/v1/alerts`: its `alerts` list. */
export function decodeAlerts(body: unknown, clip: Clip): readonly unknown[] {
  const alerts = field(body, 'alerts');
  if (!Array.isArray(alerts)) throw badResponse('/v1/alerts', 'no "alerts" list', body, clip);
  return alerts;
}

/** Reads an answer of `/v2/events` (see `CasbClient.events`): `CASB_BAD_RESPONSE` for a body breaking the contract. */
export function decodeEventsPage(body: unknown, clip: Clip, logger: Logger): CasbEventsPage {
  const path = '/v2/events';
  const contentName = has(body, 'content') || !has(body, 'events') ? 'content' : 'events';
  const events = field(body, contentName);
  if (!Array.isArray(events)) throw badResponse(path, `no "${contentName}" list`, body, clip);
  const tokenName = has(body, 'nextPageToken') || !has(body, 'next_page_token') ? 'nextPageToken' : 'next_page_token';
  const next = field(body, tokenName);
  if (next !== undefined && next !== null && typeof next !== 'string') throw badResponse(path, `"${tokenName}" is not a string`, body, clip);
  const nextPageToken = typeof next === 'string' && next !== '' ? next : undefined;
  // Without a token, a page of events leaves no way on: asking again would serve the same page.
  if (nextPageToken === undefined && events.length > 0) throw badResponse(path, `${events.length} event(s) without a "${tokenName}"`, body, clip);
  const size = field(body, 'size');
  if (size !== undefined && size !== null && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) {
    throw badResponse(path, '"size" is not a count', body, clip);
  }
  if (typeof size === 'number' && size !== events.length) {
    logger.warn(
      `${path} answered "size": ${size} with ${events.length} event(s) in "${contentName}": going by "${contentName}" (${events.length === 0 ? 'caught up' : 'its events are delivered and paging goes on'})`,
    );
  }
  return { events, nextPageToken };
}

function has(body: unknown, name: string): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.prototype.hasOwnProperty.call(body, name);
}

export function field(body: unknown, name: string): unknown {
  return has(body, name) ? (body as Record<string, unknown>)[name] : undefined;
}

/** Cuts a server's text for a message, redacting it. */
export type Clip = (text: string) => string;

export function parseJson(path: string, text: unknown, clip: Clip): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CollectorError('CASB_BAD_RESPONSE', `${path} answered with a body that is not JSON (${errorMessage(err)}): ${JSON.stringify(clip(text))}`);
  }
}

export function badResponse(path: string, what: string, body: unknown, clip: Clip): CollectorError {
  const text = JSON.stringify(body) ?? String(body);
  return new CollectorError('CASB_BAD_RESPONSE', `${path} answered with an unexpected body (${what}): ${clip(text)}`);
}

export function responseText(err: AxiosError, clip: Clip): string {
  const data = err.response?.data;
  const text = typeof data === 'string' ? data : (JSON.stringify(data) ?? '');
  return clip(text) || err.message;
}

export function describeFailure(err: unknown, clip: Clip): string {
  if (err instanceof AxiosError) {
    if (err.response !== undefined) return `HTTP ${err.response.status}: ${responseText(err, clip)}`;
    return `${err.code ?? 'error'}: ${err.message}`;
  }
  return errorMessage(err);
}
