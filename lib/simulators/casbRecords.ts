import { hash32, mix64, SeededRandom } from './seededRandom';

/**
 * When the synthetic records of a CASB stream (alerts or events) happen. Records come in groups of
 * `sameTimestampGroup` consecutive indexes (default 1); group `k` (indexes `g*k … g*k+g-1`) has the
 * time `Math.floor(startTime + k * intervalMs)` (UTC epoch ms), so times never decrease with the
 * index. `seed` varies ids and contents between otherwise equal timelines (default `''`).
 */
export interface CasbTimeline {
  /** UTC epoch ms of record 0. */
  readonly startTime: number;
  /** Time between consecutive groups in ms, > 0; may be fractional. */
  readonly intervalMs: number;
  readonly seed?: string;
  /** Records share a timestamp in groups of this size (default 1), so that several alerts have the same timestamp. */
  readonly sameTimestampGroup?: number;
}

/** Which records of a stream exist: a timeline and a count (indexes `0 … total-1`; default `Infinity`). */
export interface CasbStream {
  readonly timeline: CasbTimeline;
  readonly total?: number;
}

/** {@link casbAlertsInWindow} refuses to list more indexes than this. */
const MAX_LISTED = 10_000_000;

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`record index must be a non-negative safe integer, got ${index}`);
}

function groupOf(timeline: CasbTimeline): number {
  if (!Number.isFinite(timeline.startTime)) throw new RangeError(`timeline.startTime must be finite, got ${timeline.startTime}`);
  if (!Number.isFinite(timeline.intervalMs) || timeline.intervalMs <= 0) {
    throw new RangeError(`timeline.intervalMs must be a positive number, got ${timeline.intervalMs}`);
  }
  const group = timeline.sameTimestampGroup ?? 1;
  if (!Number.isSafeInteger(group) || group < 1) throw new RangeError(`timeline.sameTimestampGroup must be a positive integer, got ${group}`);
  return group;
}

/**
 * 16 deterministic bytes for `index` in `domain`: bytes 0-5 and 10-11 are a 64-bit bijection of the
 * index, so two indexes never share them; the others are pseudo-random.
 */
function idBytes(domain: string, index: number, seed: string): Uint8Array {
  checkIndex(index);
  const offset = (BigInt(hash32(`id-hi|${domain}|${seed}`)) << 32n) | BigInt(hash32(`id-lo|${domain}|${seed}`));
  const head = mix64(BigInt(index) + offset);
  const rand = new SeededRandom(`id|${domain}|${seed}|${index}`);
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = rand.int(256);
  for (let i = 0; i < 6; i++) bytes[i] = Number((head >> BigInt(56 - 8 * i)) & 0xffn);
  bytes[10] = Number((head >> 8n) & 0xffn);
  bytes[11] = Number(head & 0xffn);
  return bytes;
}

/**
 * A version-4-shaped UUID (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`) for `index` in `domain`, from
 * {@link idBytes} (the version bits are outside its bijective bytes: two indexes never share an id).
 */
function uuid(domain: string, index: number, seed: string): string {
  const bytes = idBytes(domain, index, seed);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The time of record `index`: `Math.floor(startTime + Math.floor(index / g) * intervalMs)`, UTC epoch
 * ms, with `g = sameTimestampGroup` (default 1). Non-decreasing in `index`; the `g` indexes of one
 * group share it. Throws a `RangeError` for a negative or fractional index or an invalid timeline.
 *
 * @example
 * casbRecordTime({ startTime: 1000, intervalMs: 2.5 }, 3);                         // 1007
 * casbRecordTime({ startTime: 1000, intervalMs: 10, sameTimestampGroup: 3 }, 5);   // 1010 (indexes 3-5)
 */
export function casbRecordTime(timeline: CasbTimeline, index: number): number {
  const group = groupOf(timeline);
  checkIndex(index);
  return Math.floor(timeline.startTime + Math.floor(index / group) * timeline.intervalMs);
}

/**
 * The smallest index whose {@link casbRecordTime} is at or after `time` (UTC epoch ms): always the
 * first index of a group, never negative (0 for any time at or before record 0; `Infinity` for
 * `time = Infinity`). The records with a time `<= t` (an integer) are the indexes below
 * `casbIndexAtOrAfter(timeline, t + 1)`.
 *
 * @example
 * casbIndexAtOrAfter({ startTime: 1000, intervalMs: 10 }, 1015);                        // 2 (time 1020)
 * casbIndexAtOrAfter({ startTime: 1000, intervalMs: 10, sameTimestampGroup: 3 }, 1015); // 6 (time 1020)
 */
export function casbIndexAtOrAfter(timeline: CasbTimeline, time: number): number {
  const group = groupOf(timeline);
  if (Number.isNaN(time)) throw new RangeError('time must be a number, got NaN');
  if (time === Infinity) return Infinity;
  const target = Math.ceil(time);
  if (Math.floor(timeline.startTime) >= target) return 0;
  const at = (k: number) => Math.floor(timeline.startTime + k * timeline.intervalMs);
  let k = Math.max(0, Math.ceil((target - timeline.startTime) / timeline.intervalMs));
  while (k > 0 && at(k - 1) >= target) k--;
  while (at(k) < target) k++;
  return k * group;
}

/**
 * How many records of `stream` a client can see at `now` (they are the indexes `0 … n-1`): in
 * realtime mode (`now` given) the records with `casbRecordTime <= now`, in backlog mode (`now`
 * undefined) all `total` of them (`Infinity` by default). Never more than `total`.
 *
 * @example
 * casbVisibleCount({ timeline: { startTime: 1000, intervalMs: 10 }, total: 100 }, 1025); // 3 (1000, 1010, 1020)
 * casbVisibleCount({ timeline: { startTime: 1000, intervalMs: 10 }, total: 100 });       // 100
 */
export function casbVisibleCount(stream: CasbStream, now?: number): number {
  const total = stream.total ?? Infinity;
  if (!(total >= 0) || (!Number.isSafeInteger(total) && total !== Infinity))
    throw new RangeError(`total must be a non-negative integer or Infinity, got ${total}`);
  if (now === undefined) {
    groupOf(stream.timeline);
    return total;
  }
  if (Number.isNaN(now)) throw new RangeError('now must be a number, got NaN');
  return Math.min(total, casbIndexAtOrAfter(stream.timeline, Math.floor(now) + 1));
}

/**
 * The alert indexes `POST /v1/alerts` serves for `time_range: { from, to }` (both inclusive, UTC
 * epoch ms) at `now` (undefined: backlog mode), in the order it serves them: newest first, ties
 * higher index first, i.e. descending index. Page `p` of a `pageSize` is
 * `slice(p * pageSize, (p + 1) * pageSize)`; map an index to its id with {@link casbAlertId}
 * (`index, timeline.seed`). Throws a `RangeError` past 10 million indexes.
 *
 * @example
 * const ids = casbAlertsInWindow({ timeline, total: 500 }, from, to, now).map((i) => casbAlertId(i, timeline.seed));
 */
export function casbAlertsInWindow(stream: CasbStream, from: number, to: number, now?: number): number[] {
  const [lo, hi] = casbWindowRange(stream, from, to, now);
  if (hi - lo > MAX_LISTED) throw new RangeError(`casbAlertsInWindow: ${hi - lo} alerts in the window, more than ${MAX_LISTED}`);
  const out: number[] = [];
  for (let i = hi - 1; i >= lo; i--) out.push(i);
  return out;
}

/**
 * The half-open index range `[lo, hi)` of the visible records with `from <= time <= to` (UTC epoch
 * ms, both inclusive); `lo >= hi` when there are none. `hi` is at most `Number.MAX_SAFE_INTEGER`.
 *
 * @example
 * casbWindowRange({ timeline: { startTime: 1000, intervalMs: 10 } }, 1010, 1030); // [1, 4]
 */
export function casbWindowRange(stream: CasbStream, from: number, to: number, now?: number): [number, number] {
  if (Number.isNaN(from) || Number.isNaN(to)) throw new RangeError('from and to must be numbers, got NaN');
  const lo = casbIndexAtOrAfter(stream.timeline, from);
  const end = to === Infinity ? Infinity : casbIndexAtOrAfter(stream.timeline, Math.floor(to) + 1);
  const hi = Math.min(end, casbVisibleCount(stream, now), Number.MAX_SAFE_INTEGER);
  return [lo, Math.max(lo, hi)];
}

/**
 * The id of synthetic alert `index`: a UUID-shaped string (version 4 layout), deterministic in
 * `(index, seed)`; two indexes of one seed never share an id.
 *
 * @example
 * casbAlertId(0, 'demo'); // e.g. '3f2a…-…'
 */
export function casbAlertId(index: number, seed = ''): string {
  return uuid('alert', index, seed);
}

/**
 * The `eventId` of synthetic event `index`, shaped as the API's (`flevent_` and 32 lowercase hex
 * digits, e.g. `flevent_9ab748ff5e42cf17677276a963495ca2`), deterministic in `(index, seed)`; two
 * indexes of one seed never share an id.
 *
 * @example
 * casbEventId(0, 'demo'); // e.g. 'flevent_91c0…'
 */
export function casbEventId(index: number, seed = ''): string {
  return `flevent_${Buffer.from(idBytes('event', index, seed)).toString('hex')}`;
}

/**
 * How many `related_events` alert `index` carries: 0-3. Each block of 4 consecutive indexes
 * (`4b … 4b+3`) holds each count exactly once, in an order chosen by `(seed, b)`. An alert with none
 * has `related_events: []` (blocks with `b % 3 === 0`), no such field (`b % 3 === 1`) or
 * `related_events: null` (`b % 3 === 2`). Flattened, alert `index` gives `max(1, count)` records.
 *
 * @example
 * [0, 1, 2, 3].map((i) => casbRelatedEventCount(i)).sort(); // [0, 1, 2, 3]
 */
export function casbRelatedEventCount(index: number, seed = ''): number {
  checkIndex(index);
  const block = Math.floor(index / 4);
  return new SeededRandom(`related|${seed}|${block}`).permutation(4)[index % 4]!;
}

/**
 * How many `additionalProperties` (`{ key, value }`) event `index` carries: 0-2. Each block of 3 consecutive indexes
 * (`3b … 3b+2`) holds each count exactly once, in an order chosen by `(seed, b)`. An event with none
 * has no such field (`b` even) or `additionalProperties: []` (`b` odd). Flattened, event `index`
 * gives `max(1, count)` records.
 *
 * @example
 * [0, 1, 2].map((i) => casbAdditionalPropertyCount(i)).sort(); // [0, 1, 2]
 */
export function casbAdditionalPropertyCount(index: number, seed = ''): number {
  checkIndex(index);
  const block = Math.floor(index / 3);
  return new SeededRandom(`props|${seed}|${block}`).permutation(3)[index % 3]!;
}

// ---------------------------------------------------------------------------------------------
// Record contents: realistic shapes, synthetic values (example domains, documentation addresses).

const FIRST = ['alex', 'bea', 'chen', 'dana', 'emil', 'fatima', 'goran', 'hana', 'ivan', 'jun', 'kofi', 'lena', 'mateo', 'nora', 'omar', 'priya'];
const LAST = ['adams', 'berg', 'costa', 'dubois', 'eriksen', 'fischer', 'garcia', 'haddad', 'ito', 'jensen', 'kowalski', 'lopez', 'moreau', 'nakamura'];
const DOMAINS = ['example.com', 'example.net', 'example.org', 'corp.example.com'];
const TENANTS = ['acme-corp', 'globex', 'initech', 'umbrella', 'hooli', 'stark-industries'];
const CLOUD_APPS = ['Microsoft 365', 'Google Workspace', 'Box', 'Dropbox', 'Salesforce', 'Slack', 'ServiceNow', 'GitHub'];
const SEVERITIES = ['low', 'medium', 'medium', 'high', 'high', 'critical'];
const STATUSES = ['open', 'open', 'in_progress', 'resolved', 'dismissed'];
const ACTIVITIES = [
  'login',
  'login_failed',
  'file_download',
  'file_upload',
  'file_share',
  'file_delete',
  'permission_change',
  'mailbox_rule_create',
  'oauth_grant',
  'password_reset',
];
const RESOURCE_TYPES = ['file', 'folder', 'mailbox', 'site', 'repository', 'application'];
const RESOURCE_WORDS = ['quarterly', 'invoice', 'report', 'payroll', 'roadmap', 'contract', 'budget', 'customers', 'design', 'keys'];
const EXTENSIONS = ['docx', 'xlsx', 'pdf', 'pptx', 'csv', 'zip', 'txt'];
const LOCATIONS: ReadonlyArray<readonly [string, string]> = [
  ['US', 'Seattle'],
  ['US', 'New York'],
  ['DE', 'Berlin'],
  ['FR', 'Paris'],
  ['GB', 'London'],
  ['IN', 'Bengaluru'],
  ['JP', 'Tokyo'],
  ['BR', 'São Paulo'],
  ['CH', 'Zürich'],
  ['NG', 'Lagos'],
];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)',
  'python-requests/2.31.0',
  'curl/8.5.0',
];
const ALERT_KINDS: ReadonlyArray<{ readonly type: string; readonly title: string; readonly policy: string; readonly description: string }> = [
  {
    type: 'suspicious_login',
    title: 'Suspicious login from an unusual location',
    policy: 'Impossible travel',
    description:
      'The user signed in from two locations too far apart to travel between in the time elapsed, which suggests a compromised account or a shared credential.',
  },
  {
    type: 'brute_force',
    title: 'Multiple failed logins followed by a success',
    policy: 'Brute-force protection',
    description:
      'A burst of failed sign-in attempts was followed by a successful one from the same address, a pattern typical of password spraying or credential stuffing.',
  },
  {
    type: 'dlp',
    title: 'Sensitive file shared outside the organisation',
    policy: 'DLP: external sharing of confidential data',
    description:
      'A file matching a confidential-data detector was shared with an external recipient or through a public link; review the share and the content classification.',
  },
  {
    type: 'mass_download',
    title: 'Unusually large number of files downloaded',
    policy: 'Mass download',
    description:
      'The user downloaded many more files than usual within a short period, which can indicate data exfiltration before departure or by a compromised session.',
  },
  {
    type: 'malicious_oauth_app',
    title: 'Risky third-party application granted access',
    policy: 'OAuth application governance',
    description:
      'A third-party application with broad permissions and a poor reputation was authorised by the user; it can read mail and files until its grant is revoked.',
  },
  {
    type: 'mailbox_rule',
    title: 'Suspicious mailbox forwarding rule created',
    policy: 'Mailbox rule monitoring',
    description:
      'A new inbox rule forwards or deletes messages matching financial keywords, a common step of business email compromise after an account takeover.',
  },
];
/** Event actions as the API spells them, and what their `resource` is. */
const EVENT_ACTIONS: ReadonlyArray<{ readonly action: string; readonly resource: 'login' | 'file' | 'mailbox' | 'admin' | 'application' }> = [
  { action: 'Successful Login', resource: 'login' },
  { action: 'Successful Login', resource: 'login' },
  { action: 'Failed Login', resource: 'login' },
  { action: 'File Download', resource: 'file' },
  { action: 'File Upload', resource: 'file' },
  { action: 'File Shared Externally', resource: 'file' },
  { action: 'File Deleted', resource: 'file' },
  { action: 'Permission Changed', resource: 'admin' },
  { action: 'Mailbox Rule Created', resource: 'mailbox' },
  { action: 'Third-Party App Authorized', resource: 'application' },
  { action: 'Password Reset', resource: 'admin' },
];
/** Country, state and city, spelled as the API's `geographicalContext*` fields. */
const GEO: ReadonlyArray<readonly [string, string, string]> = [
  ['United States of America', 'Virginia', 'Ashburn'],
  ['United States of America', 'Washington', 'Seattle'],
  ['United States of America', 'New York', 'New York'],
  ['Germany', 'Berlin', 'Berlin'],
  ['France', 'Île-de-France', 'Paris'],
  ['United Kingdom', 'England', 'London'],
  ['India', 'Karnataka', 'Bengaluru'],
  ['Japan', 'Tokyo', 'Tokyo'],
  ['Brazil', 'São Paulo', 'São Paulo'],
  ['Switzerland', 'Zürich', 'Zürich'],
  ['Nigeria', 'Lagos', 'Lagos'],
];
/** Keys of `additionalProperties` entries (`userIsVAP` as in the API's sample). */
const PROPERTY_KEYS = ['userIsVAP', 'sharingLink', 'fileHash', 'mfaMethod', 'deviceId', 'targetUser', 'folderPath', 'sessionId', 'riskScore'];

interface Person {
  readonly email: string;
  readonly id: string;
  readonly name: string;
}

function person(rand: SeededRandom): Person {
  const first = rand.pick(FIRST);
  const last = rand.pick(LAST);
  const cap = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}`;
  return { email: `${first}.${last}@${rand.pick(DOMAINS)}`, id: `usr-${rand.hex(16)}`, name: `${cap(first)} ${cap(last)}` };
}

function ipv4(rand: SeededRandom): string {
  return `${rand.pick(['192.0.2', '198.51.100', '203.0.113'])}.${rand.between(1, 254)}`;
}

function location(rand: SeededRandom): { country: string; city: string } {
  const [country, city] = rand.pick(LOCATIONS);
  return { country, city };
}

function resource(rand: SeededRandom, index: number): string {
  const type = rand.pick(RESOURCE_TYPES);
  if (type === 'file') return `/Shared Documents/${rand.pick(RESOURCE_WORDS)}-${index}.${rand.pick(EXTENSIONS)}`;
  return `${type}:${rand.pick(RESOURCE_WORDS)}-${rand.between(100, 9999)}`;
}

function tenantOf(seed: string): string {
  return TENANTS[hash32(`tenant|${seed}`) % TENANTS.length]!;
}

/**
 * Synthetic alert `index` on `timeline`, as the CASB API returns it in `alerts` (about 0.5-1.3 KB of
 * JSON). Deterministic in `(index, timeline)`:
 * `{ id, timestamp, severity, type, title, description, status, tenant, user: { email, id }, cloud_app,
 * policy: { id, name }, related_events }`, where `id` is {@link casbAlertId}, `timestamp` is
 * {@link casbRecordTime} (epoch ms, a number) and `related_events` holds
 * {@link casbRelatedEventCount} entries `{ id, timestamp, activity, ip, location: { country, city },
 * resource }` (their timestamps are up to 10 minutes before the alert's); with none it is `[]`,
 * absent or `null` (see {@link casbRelatedEventCount}). No field name starts with `@`.
 *
 * @example
 * const alert = casbAlert(7, { startTime: Date.UTC(2024, 0, 1), intervalMs: 1000, seed: 'demo' });
 * alert.id === casbAlertId(7, 'demo'); // true
 */
export function casbAlert(index: number, timeline: CasbTimeline): Record<string, unknown> {
  const timestamp = casbRecordTime(timeline, index);
  const seed = timeline.seed ?? '';
  const rand = new SeededRandom(`alert|${seed}|${index}`);
  const kind = rand.pick(ALERT_KINDS);
  const user = person(rand);
  const cloudApp = rand.pick(CLOUD_APPS);
  const count = casbRelatedEventCount(index, seed);
  const alert: Record<string, unknown> = {
    id: casbAlertId(index, seed),
    timestamp,
    severity: rand.pick(SEVERITIES),
    type: kind.type,
    title: `${kind.title} (${cloudApp})`,
    description: kind.description,
    status: rand.pick(STATUSES),
    tenant: tenantOf(seed),
    user: { email: user.email, id: user.id },
    cloud_app: cloudApp,
    policy: { id: `pol-${hash32(`policy|${seed}|${kind.type}`).toString(16).padStart(8, '0')}`, name: kind.policy },
  };
  if (count > 0) {
    const related: Array<Record<string, unknown>> = [];
    for (let j = 0; j < count; j++) {
      related.push({
        id: uuid(`related-${j}`, index, seed),
        timestamp: Math.max(0, timestamp - rand.between(1, 600) * 1000),
        activity: rand.pick(ACTIVITIES),
        ip: ipv4(rand),
        location: location(rand),
        resource: resource(rand, index),
      });
    }
    related.sort((a, b) => (a['timestamp'] as number) - (b['timestamp'] as number));
    alert['related_events'] = related;
  } else {
    const variant = Math.floor(index / 4) % 3;
    if (variant === 0) alert['related_events'] = [];
    else if (variant === 2) alert['related_events'] = null;
  }
  return alert;
}

/**
 * Synthetic event `index` on `timeline`, as `GET /v2/events` returns it in `content` (shaped after
 * the API's public sample, about 0.4-0.9 KB of JSON). Deterministic in `(index, timeline)`:
 * `{ eventId, cloudService, timestamp, resource, action, userEmail, requestIp,
 * geographicalContextCountry, geographicalContextState, geographicalContextCity, userAgent,
 * systemEvent, additionalProperties }`, where `eventId` is {@link casbEventId}, `timestamp` is
 * {@link casbRecordTime} as ISO-8601 UTC with milliseconds (`2020-06-29T18:31:01.867Z`),
 * `systemEvent` a boolean and `additionalProperties` holds {@link casbAdditionalPropertyCount}
 * entries `{ key, value }` (string values); with none it is absent or `[]` (see
 * {@link casbAdditionalPropertyCount}). No field name starts with `@`.
 *
 * @example
 * const event = casbEvent(3, { startTime: Date.UTC(2024, 0, 1), intervalMs: 500, seed: 'demo' });
 * event.eventId === casbEventId(3, 'demo'); // true
 * event.timestamp;                          // '2024-01-01T00:00:01.500Z'
 */
export function casbEvent(index: number, timeline: CasbTimeline): Record<string, unknown> {
  const timestamp = casbRecordTime(timeline, index);
  const seed = timeline.seed ?? '';
  const rand = new SeededRandom(`event|${seed}|${index}`);
  const user = person(rand);
  const kind = rand.pick(EVENT_ACTIONS);
  const cloudService = rand.pick(CLOUD_APPS);
  const [country, state, city] = rand.pick(GEO);
  const systemEvent = rand.int(10) === 0;
  const event: Record<string, unknown> = {
    eventId: casbEventId(index, seed),
    cloudService,
    timestamp: new Date(timestamp).toISOString(),
    resource: eventResource(kind.resource, rand, index),
    action: kind.action,
    userEmail: user.email,
    requestIp: ipv4(rand),
    geographicalContextCountry: country,
    geographicalContextState: state,
    geographicalContextCity: city,
    userAgent: systemEvent ? rand.pick(['akka-http/10.1.11', 'Microsoft Graph Connector/1.0', 'Google-Apps-Script']) : rand.pick(USER_AGENTS),
    systemEvent,
  };
  const count = casbAdditionalPropertyCount(index, seed);
  if (count > 0) {
    const keys = rand
      .permutation(PROPERTY_KEYS.length)
      .slice(0, count)
      .map((i) => PROPERTY_KEYS[i]!);
    event['additionalProperties'] = keys.map((key) => ({ key, value: propertyValue(key, rand, index) }));
  } else if (Math.floor(index / 3) % 2 === 1) {
    event['additionalProperties'] = [];
  }
  return event;
}

function eventResource(kind: (typeof EVENT_ACTIONS)[number]['resource'], rand: SeededRandom, index: number): string {
  switch (kind) {
    case 'login':
      return 'Login Service';
    case 'file':
      return `/Shared Documents/${rand.pick(RESOURCE_WORDS)}-${index}.${rand.pick(EXTENSIONS)}`;
    case 'mailbox':
      return 'Inbox Rules';
    case 'admin':
      return rand.pick(['User Management', 'Sharing Settings', 'Security Settings']);
    case 'application':
      return `OAuth App ${rand.pick(RESOURCE_WORDS)}-${rand.between(100, 9999)}`;
  }
}

function propertyValue(key: string, rand: SeededRandom, index: number): string {
  switch (key) {
    case 'userIsVAP':
      return rand.int(8) === 0 ? 'true' : 'false';
    case 'sharingLink':
      return `https://share.example.com/s/${rand.hex(20)}`;
    case 'fileHash':
      return rand.hex(64);
    case 'mfaMethod':
      return rand.pick(['push', 'totp', 'sms', 'none']);
    case 'deviceId':
      return `dev-${rand.hex(12)}`;
    case 'targetUser':
      return person(rand).email;
    case 'folderPath':
      return `/Shared Documents/${rand.pick(RESOURCE_WORDS)}/${index}`;
    case 'sessionId':
      return rand.hex(32);
    default:
      return String(rand.between(1, 100));
  }
}
