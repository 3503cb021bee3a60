import type { CasbServiceName } from '../config/collectorConfig';
import type { JsonObject } from '../operators/flatten';

/** The field holding a record's unique key: de-dup, acknowledgement and journal. */
const KEY_FIELD: Record<CasbServiceName, string> = { alerts: 'id', events: 'eventId' };

/** The field of a record holding its event time (ISO-8601 or epoch). */
export const CASB_TIME_FIELD = 'timestamp';

/** The array of a record that is flattened into one Devo line per element: the alert's events, the event's properties. */
export const CASB_NESTED_FIELD: Record<CasbServiceName, string> = { alerts: 'related_events', events: 'additionalProperties' };

/** The request path each service pulls (`undefined` for the others, such as `/v1/auth`). */
export function casbServiceOfPath(path: string): CasbServiceName | undefined {
  return path === '/v1/alerts' ? 'alerts' : path === '/v2/events' ? 'events' : undefined;
}

/** A CASB record's unique key: `id` for alerts, `eventId` for events. */
export function recordKey(service: CasbServiceName, record: JsonObject): string {
  return String(record[KEY_FIELD[service]]);
}

/** A record must be a JSON object with its key (`id` for alerts, `eventId` for events); anything else is dead-lettered. */
export function checkRecord(service: CasbServiceName, record: unknown, deadLetter: (text: string, reason: string) => void): boolean {
  const key = KEY_FIELD[service];
  const reason =
    typeof record !== 'object' || record === null || Array.isArray(record)
      ? 'not a JSON object'
      : !['string', 'number'].includes(typeof (record as JsonObject)[key]) || (record as JsonObject)[key] === ''
        ? `no ${key} (the record's unique key)`
        : undefined;
  if (reason === undefined) return true;
  deadLetter(JSON.stringify(record) ?? String(record), reason);
  return false;
}
