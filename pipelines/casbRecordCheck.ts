import type { CasbServiceConfig } from '../lib/config/collectorConfig';
import type { JsonObject } from '../lib/operators/flatten';

/** The field holding a record's unique key: de-dup, acknowledgement and journal. */
const KEY_FIELD: Record<CasbServiceConfig['name'], string> = { alerts: 'id', events: 'eventId' };

/** A CASB record's unique key: `id` for alerts, `eventId` for events. */
export function recordKey(service: CasbServiceConfig['name'], record: JsonObject): string {
  return String(record[KEY_FIELD[service]]);
}

/** A record must be a JSON object with its key (`id` for alerts, `eventId` for events); anything else is dead-lettered. */
export function checkRecord(service: CasbServiceConfig['name'], record: unknown, deadLetter: (text: string, reason: string) => void): boolean {
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
