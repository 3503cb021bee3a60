import { hash32, mix64, SeededRandom } from './seededRandom';

/** A PoD Log API service: the `type` query parameter of `/v1/stream`. */
export type PodEventType = 'message' | 'maillog' | 'audit';

/**
 * When the synthetic events of a stream happen: event `i` has the time
 * `Math.floor(startTime + i * intervalMs)` (UTC epoch ms). `seed` varies keys and contents between
 * otherwise equal timelines (default `''`).
 */
export interface PodTimeline {
  /** UTC epoch ms of event 0. */
  readonly startTime: number;
  /** Time between consecutive events in ms, > 0; may be fractional. */
  readonly intervalMs: number;
  readonly seed?: string;
}

/** Options of {@link podEvent}. */
export interface PodEventOptions {
  /** Pads the event (message: `msgParts`; maillog, audit: a `padding` field) to at least this many bytes of JSON. */
  readonly largeBytes?: number;
  /** `cid` in the event's metadata. Default `example_hosted`. */
  readonly clusterId?: string;
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`event index must be a non-negative safe integer, got ${index}`);
}

function checkTimeline(timeline: PodTimeline): void {
  if (!Number.isFinite(timeline.startTime)) throw new RangeError(`timeline.startTime must be finite, got ${timeline.startTime}`);
  if (!Number.isFinite(timeline.intervalMs) || timeline.intervalMs <= 0) {
    throw new RangeError(`timeline.intervalMs must be a positive number, got ${timeline.intervalMs}`);
  }
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/**
 * The unique key of synthetic event `index`: for `message` and `audit` a 32-character `guid`, for
 * `maillog` a 22-character `id`, both in the URL-safe base64 alphabet. Deterministic in
 * `(type, index, seed)`; two indexes of one type and seed never share a key (the first 8 bytes are a
 * bijection of the index).
 *
 * @example
 * podEventKey('message', 0, 'demo'); // 32 characters, e.g. 'Xk3...'
 * new Set([0, 1, 2].map((i) => podEventKey('maillog', i))).size; // 3
 */
export function podEventKey(type: PodEventType, index: number, seed = ''): string {
  checkIndex(index);
  const offset = (BigInt(hash32(`key-hi|${type}|${seed}`)) << 32n) | BigInt(hash32(`key-lo|${type}|${seed}`));
  const head = mix64(BigInt(index) + offset);
  const bytes = new Uint8Array(type === 'maillog' ? 16 : 24);
  for (let i = 0; i < 8; i++) bytes[i] = Number((head >> BigInt(56 - 8 * i)) & 0xffn);
  const rand = new SeededRandom(`key|${type}|${seed}|${index}`);
  for (let i = 8; i < bytes.length; i++) bytes[i] = rand.int(256);
  return base64url(bytes);
}

/**
 * The time of event `index`: `Math.floor(startTime + index * intervalMs)`, UTC epoch ms.
 * Throws a `RangeError` for a negative or fractional index or an invalid timeline.
 *
 * @example
 * podEventTime({ startTime: 1000, intervalMs: 2.5 }, 3); // 1007
 */
export function podEventTime(timeline: PodTimeline, index: number): number {
  checkTimeline(timeline);
  checkIndex(index);
  return Math.floor(timeline.startTime + index * timeline.intervalMs);
}

/**
 * The smallest index whose {@link podEventTime} is at or after `time` (UTC epoch ms), never negative
 * (0 for any time at or before event 0; `Infinity` for `time = Infinity`).
 *
 * @example
 * podIndexAtOrAfter({ startTime: 1000, intervalMs: 10 }, 1015); // 2 (time 1020)
 * podIndexAtOrAfter({ startTime: 1000, intervalMs: 10 }, 0);    // 0
 */
export function podIndexAtOrAfter(timeline: PodTimeline, time: number): number {
  checkTimeline(timeline);
  if (Number.isNaN(time)) throw new RangeError('time must be a number, got NaN');
  if (time === Infinity) return Infinity;
  const target = Math.ceil(time);
  if (Math.floor(timeline.startTime) >= target) return 0;
  let index = Math.max(0, Math.ceil((target - timeline.startTime) / timeline.intervalMs));
  const at = (i: number) => Math.floor(timeline.startTime + i * timeline.intervalMs);
  while (index > 0 && at(index - 1) >= target) index--;
  while (at(index) < target) index++;
  return index;
}

// ---------------------------------------------------------------------------------------------
// Event contents: realistic shapes, synthetic values (example domains, documentation addresses).

const OFFSETS: ReadonlyArray<{ readonly minutes: number; readonly text: string }> = [
  { minutes: -420, text: '-0700' },
  { minutes: -420, text: '-07:00' },
  { minutes: 330, text: '+0530' },
  { minutes: 0, text: '+0000' },
];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO-8601 local time with microseconds and the index's offset style; the instant is `timeMs`. */
function localTimestamp(timeMs: number, index: number, micros: number): string {
  const offset = OFFSETS[index % OFFSETS.length]!;
  const local = new Date(timeMs + offset.minutes * 60_000);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `.${pad(local.getUTCMilliseconds(), 3)}${pad(micros, 3)}${offset.text}`
  );
}

const FIRST = ['alex', 'bea', 'chen', 'dana', 'emil', 'fatima', 'goran', 'hana', 'ivan', 'jun', 'kofi', 'lena', 'mateo', 'nora', 'omar', 'priya'];
const LAST = ['adams', 'berg', 'costa', 'dubois', 'eriksen', 'fischer', 'garcia', 'haddad', 'ito', 'jensen', 'kowalski', 'lopez', 'moreau', 'nakamura'];
const DOMAINS = ['example.com', 'example.net', 'example.org', 'mail.example.com', 'corp.example.net', 'shop.example.org'];
const WORDS = [
  'quarterly',
  'invoice',
  'report',
  'meeting',
  'update',
  'shipment',
  'notice',
  'review',
  'draft',
  'payment',
  'schedule',
  'project',
  'summary',
  'reminder',
  'order',
  'account',
  'policy',
  'agenda',
  'budget',
  'contract',
];
const COUNTRIES = ['us', 'de', 'fr', 'gb', 'in', 'jp', 'br', 'ca', 'nl', 'au'];
const CIPHERS = ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'];
const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'];
const MIMES: ReadonlyArray<readonly [string, string]> = [
  ['text/plain', 'txt'],
  ['text/html', 'html'],
  ['application/pdf', 'pdf'],
  ['image/png', 'png'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
  ['application/zip', 'zip'],
];
const DISPOSITIONS = ['continue', 'continue', 'continue', 'discard', 'quarantine', 'reject'];
const ROUTES = ['allow_relay', 'firewallsafe', 'default_inbound', 'internalnet', 'outbound'];
const AUDIT_ACTIONS = ['login', 'logout', 'create', 'update', 'delete', 'export', 'release', 'view'];
const AUDIT_RESOURCES = ['user', 'policy', 'quarantine_folder', 'smart_search', 'rule', 'group', 'api_key'];
const AUDIT_LEVELS = ['info', 'info', 'info', 'warning', 'notice'];
const STATS = ['Sent', 'Sent', 'Sent', 'Deferred', 'User unknown'];
const MAILERS = ['esmtp', 'smtp', 'relay', 'local'];
const VERSION = '8.21.0.1358';

function person(rand: SeededRandom): { name: string; address: string } {
  const first = rand.pick(FIRST);
  const last = rand.pick(LAST);
  return { name: `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`, address: `${first}.${last}@${rand.pick(DOMAINS)}` };
}

function ipv4(rand: SeededRandom): string {
  return `${rand.pick(['192.0.2', '198.51.100', '203.0.113'])}.${rand.between(1, 254)}`;
}

function agentOf(rand: SeededRandom): string {
  return `m0${rand.between(100000, 999999)}.ppops.net`;
}

/** A sendmail queue id, e.g. `44MJA3ab012345`. */
function queueId(timeMs: number, rand: SeededRandom): string {
  const d = new Date(timeMs);
  const code = (n: number) => '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx'[n % 60]!;
  return `${code(d.getUTCFullYear() % 60)}${code(d.getUTCMonth())}${code(d.getUTCDate())}${code(d.getUTCHours())}${code(d.getUTCMinutes())}${code(d.getUTCSeconds())}${rand.chars('abcdefghijklmnopqrstuvwxyz', 2)}${rand.between(100000, 999999)}`;
}

function subject(rand: SeededRandom, index: number): string {
  const n = rand.between(3, 7);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rand.pick(WORDS));
  return `${words.join(' ')} #${index}`;
}

function hours(delaySeconds: number): string {
  return `${pad(Math.floor(delaySeconds / 3600))}:${pad(Math.floor(delaySeconds / 60) % 60)}:${pad(delaySeconds % 60)}`;
}

function messageEvent(index: number, seed: string, ts: string, timeMs: number, cid: string, rand: SeededRandom): Record<string, unknown> {
  const sender = person(rand);
  const rcptCount = rand.between(1, 2);
  const rcpts = Array.from({ length: rcptCount }, () => person(rand));
  const qid = queueId(timeMs, rand);
  const host = `mail-${rand.chars('abcdefghijklmnopqrstuvwxyz0123456789', 6)}.${rand.pick(DOMAINS)}`;
  const partCount = rand.between(1, 2);
  const msgParts = Array.from({ length: partCount }, (_, p) => {
    const [mime, ext] = p === 0 ? rand.pick(MIMES.slice(0, 2)) : rand.pick(MIMES.slice(2));
    const size = rand.between(200, 400_000);
    return {
      contentType: mime,
      detectedCharset: mime.startsWith('text/') ? 'utf-8' : '',
      detectedExt: ext,
      detectedMime: mime,
      detectedName: p === 0 ? `text.${ext}` : `${rand.pick(WORDS)}-${index}.${ext}`,
      detectedSizeBytes: size,
      disposition: p === 0 ? 'inline' : 'attached',
      isArchive: ext === 'zip',
      isCorrupted: false,
      isProtected: false,
      md5: rand.hex(32),
      sha256: rand.hex(64),
      sizeDecodedBytes: size,
      structureId: String(p),
    };
  });
  const sizeBytes = msgParts.reduce((sum, part) => sum + part.sizeDecodedBytes, 0) + rand.between(2000, 9000);
  const overall = rand.int(101);
  const messageId = `<${rand.hex(16)}.${index}@${rand.pick(DOMAINS)}>`;
  const title = subject(rand, index);
  return {
    connection: {
      country: rand.pick(COUNTRIES),
      helo: host,
      host,
      ip: ipv4(rand),
      protocol: rand.pick(['smtp:smtp', 'smtp:esmtps']),
      resolveStatus: 'ok',
      sid: rand.chars('abcdefghijklmnopqrstuvwxyz0123456789', 10),
      tls: { inbound: { cipher: rand.pick(CIPHERS), cipherBits: rand.pick([128, 256]), version: rand.pick(TLS_VERSIONS) } },
    },
    envelope: { from: sender.address, rcpts: rcpts.map((r) => r.address) },
    filter: {
      actions: [
        { action: 'continue', isFinal: false, module: 'access', rule: 'default' },
        { action: overall > 80 ? 'quarantine' : 'continue', isFinal: true, module: 'spam', rule: overall > 80 ? 'spam' : 'notspam' },
      ],
      delivered: { rcpts: rcpts.map((r) => r.address) },
      disposition: rand.pick(DISPOSITIONS),
      durationSecs: rand.between(10, 9000) / 1000,
      msgSizeBytes: sizeBytes,
      qid,
      routeDirection: rand.pick(['inbound', 'outbound', 'internal']),
      routes: [rand.pick(ROUTES), rand.pick(ROUTES)],
      modules: {
        av: { virusNames: [] },
        dmarc: { authResults: [{ emailIdentities: { 'smtp.mailfrom': sender.address }, method: 'spf', result: rand.pick(['pass', 'none', 'fail']) }] },
        spam: {
          langs: ['en'],
          safeBlockedListMatches: [],
          scores: {
            classifiers: {
              adult: 0,
              bulk: rand.int(100),
              impostor: rand.int(20),
              lowpriority: rand.int(100),
              malware: 0,
              phish: rand.int(10),
              spam: overall,
              suspect: 0,
            },
            engine: rand.int(101),
            overall,
          },
          triggeredClassifier: overall > 80 ? 'spam' : 'none',
          version: { definitions: `${new Date(timeMs).toISOString().slice(0, 10)}_${rand.between(10, 99)}`, engine: VERSION },
        },
        urldefense: { counts: { total: rand.int(8), unique: rand.int(5) }, version: { engine: '5.0.0' } },
        zerohour: { score: rand.pick(['neutral', 'suspicious']) },
      },
      suborgs: { rcpts: rcpts.map(() => '0'), sender: '0' },
    },
    guid: podEventKey('message', index, seed),
    metadata: { origin: { data: { agent: agentOf(rand), cid, version: VERSION } } },
    msg: {
      header: {
        date: [ts],
        from: [`"${sender.name}" <${sender.address}>`],
        'message-id': [messageId],
        'mime-version': ['1.0'],
        'content-type': [`multipart/mixed; boundary="${rand.hex(24)}"`],
        received: [`from ${host} (${host} [${ipv4(rand)}]) by ${agentOf(rand)} with ESMTPS id ${qid}`],
        'reply-to': [`<${sender.address}>`],
        subject: [title],
        to: rcpts.map((r) => `"${r.name}" <${r.address}>`),
      },
      lang: 'en',
      normalizedHeader: { 'message-id': [messageId], subject: [title] },
      parsedAddresses: { from: [sender.address], to: rcpts.map((r) => r.address) },
      sizeBytes,
    },
    msgParts,
    ts,
  };
}

function maillogEvent(index: number, seed: string, ts: string, timeMs: number, cid: string, rand: SeededRandom): Record<string, unknown> {
  const qid = queueId(timeMs, rand);
  const agent = agentOf(rand);
  const rcpts = Array.from({ length: rand.between(1, 2) }, () => `<${person(rand).address}>`);
  const delaySeconds = rand.int(120);
  const mailer = rand.pick(MAILERS);
  const priority = rand.between(30000, 900000);
  const stat = rand.pick(STATS);
  const dsn = stat === 'Sent' ? '2.0.0' : stat === 'Deferred' ? '4.4.1' : '5.1.1';
  const relay = `mx${rand.int(10)}.${rand.pick(DOMAINS)}. [${ipv4(rand)}]`;
  const pid = rand.between(1000, 65000);
  const statText = stat === 'Sent' ? `Sent (${qid} Message accepted for delivery)` : stat;
  return {
    data: `${ts} ${agent} sendmail[${pid}]: ${qid}: to=${rcpts.join(',')}, delay=${hours(delaySeconds)}, xdelay=${hours(delaySeconds)}, mailer=${mailer}, tls_verify=NONE, pri=${priority}, relay=${relay}, dsn=${dsn}, stat=${statText}`,
    id: podEventKey('maillog', index, seed),
    metadata: { origin: { data: { agent, cid, version: VERSION } } },
    pps: { agent, cid },
    sm: {
      delay: hours(delaySeconds),
      dsn,
      mailer,
      pri: index % 2 === 0 ? priority : String(priority),
      qid,
      relay,
      stat: statText,
      to: rcpts,
      xdelay: hours(delaySeconds),
    },
    tls: { verify: 'NONE' },
    ts,
  };
}

function auditEvent(index: number, seed: string, ts: string, cid: string, rand: SeededRandom): Record<string, unknown> {
  const user = person(rand);
  const resourceType = rand.pick(AUDIT_RESOURCES);
  return {
    audit: {
      action: rand.pick(AUDIT_ACTIONS),
      level: rand.pick(AUDIT_LEVELS),
      resourceId: `${resourceType}-${rand.between(1000, 99999)}`,
      resourceType,
      status: rand.pick(['success', 'success', 'success', 'failure']),
      tags: ['admin-console', rand.pick(['ui', 'api'])],
      details: {
        sessionId: rand.hex(32),
        userAgent: rand.pick(['Mozilla/5.0 (Windows NT 10.0; Win64; x64)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4)', 'curl/8.5.0']),
      },
      user: { email: user.address, id: rand.hex(24), ipAddress: ipv4(rand), name: user.name },
    },
    guid: podEventKey('audit', index, seed),
    metadata: { origin: { data: { agent: agentOf(rand), cid, version: VERSION } } },
    ts,
  };
}

/** Deterministic filler text of `length` characters (base64-like, no characters JSON escapes). */
function filler(length: number, rand: SeededRandom): string {
  if (length <= 0) return '';
  const chunk = rand.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 1024);
  return chunk.repeat(Math.ceil(length / chunk.length)).slice(0, length);
}

/**
 * Synthetic PoD event `index` of `type` on `timeline`, as compact JSON text (one object, as one
 * websocket frame carries). Deterministic in `(type, index, timeline, options)`; consecutive indexes
 * differ. Shapes follow the PoD Log API (synthetic values only):
 * - `message` (about 2.5-3.5 KB): `connection`, `envelope`, `filter` (with `modules.spam.scores`),
 *   `guid`, `metadata.origin.data`, `msg.header`, `msgParts[]`, `ts`;
 * - `maillog` (about 0.8 KB): `data` (a sendmail log line), `id`, `pps`, `sm` (`pri` is a number for
 *   even indexes, a numeric string for odd ones), `ts`;
 * - `audit` (about 0.6 KB): `audit` (`action`, `level`, `resourceType`, `user`), `guid`, `metadata`, `ts`.
 *
 * `ts` is ISO-8601 local time with microseconds; the offset style cycles by index through `-0700`,
 * `-07:00`, `+0530`, `+0000`, and the instant equals {@link podEventTime} to the millisecond. No field
 * name starts with `@`. With `largeBytes` the JSON is padded to at least that many bytes.
 *
 * @example
 * const text = podEvent('message', 7, { startTime: Date.UTC(2024, 4, 22), intervalMs: 20, seed: 'demo' });
 * JSON.parse(text).guid === podEventKey('message', 7, 'demo'); // true
 */
export function podEvent(type: PodEventType, index: number, timeline: PodTimeline, options: PodEventOptions = {}): string {
  const timeMs = podEventTime(timeline, index);
  const seed = timeline.seed ?? '';
  const cid = options.clusterId ?? 'example_hosted';
  const rand = new SeededRandom(`event|${type}|${seed}|${index}`);
  const ts = localTimestamp(timeMs, index, rand.int(1000));
  let event: Record<string, unknown>;
  switch (type) {
    case 'message':
      event = messageEvent(index, seed, ts, timeMs, cid, rand);
      break;
    case 'maillog':
      event = maillogEvent(index, seed, ts, timeMs, cid, rand);
      break;
    case 'audit':
      event = auditEvent(index, seed, ts, cid, rand);
      break;
    default:
      throw new RangeError(`unknown PoD event type: ${String(type)}`);
  }
  const text = JSON.stringify(event);
  const largeBytes = options.largeBytes ?? 0;
  if (largeBytes <= 0 || Buffer.byteLength(text) >= largeBytes) return text;

  // Pad with an empty field first, to measure exactly what the filler must add.
  let holder: Record<string, unknown>;
  let field: string;
  if (type === 'message') {
    const parts = event['msgParts'] as Array<Record<string, unknown>>;
    holder = {
      detectedMime: 'text/plain',
      detectedName: `attachment-${index}.txt`,
      md5: rand.hex(32),
      sha256: rand.hex(64),
      sizeDecodedBytes: 0,
      textExtracted: '',
    };
    parts.push(holder);
    field = 'textExtracted';
  } else {
    holder = event;
    field = 'padding';
    holder[field] = '';
  }
  const missing = largeBytes - Buffer.byteLength(JSON.stringify(event));
  holder[field] = filler(missing, rand);
  if (type === 'message') holder['sizeDecodedBytes'] = Math.max(0, missing);
  let padded = JSON.stringify(event);
  // sizeDecodedBytes grew by a few digits: the text is only longer, never shorter.
  if (Buffer.byteLength(padded) < largeBytes) {
    holder[field] = filler(missing + (largeBytes - Buffer.byteLength(padded)), rand);
    padded = JSON.stringify(event);
  }
  return padded;
}
