import { Observable, type OperatorFunction } from 'rxjs';
import type { Timed } from './timed';

/** A JSON object as the vendor sent it. */
export type JsonObject = { readonly [key: string]: unknown };

/**
 * The records of one parent: for `P` whose `field` holds `[c0 … cn-1]`, record *i* is
 * `{ ...P, [field]: ci, [field_index]: i, [field_count]: n }`. A missing, null, empty or
 * non-list `field` gives `[P]`, unchanged.
 *
 * @example
 * flattenRecord({ id: 'a', related_events: [{ x: 1 }, { x: 2 }] }, 'related_events');
 * // [{ id: 'a', related_events: { x: 1 }, related_events_index: 0, related_events_count: 2 }, …]
 */
export function flattenRecord(parent: JsonObject, field: string): JsonObject[] {
  const children = parent[field];
  if (!Array.isArray(children) || children.length === 0) return [parent];
  const count = children.length;
  const indexKey = `${field}_index`;
  const countKey = `${field}_count`;
  return children.map((child: unknown, index) => {
    const record: Record<string, unknown> = { ...parent };
    record[field] = child;
    record[indexKey] = index;
    record[countKey] = count;
    return record;
  });
}

/**
 * Flattens each value on `field` (see {@link flattenRecord}); every record keeps its parent's
 * event time. The shape is the Devo CASB collectors' (docs/ARCHITECTURE.md, "Contracts").
 *
 * Completes and errors with the source; unsubscribing unsubscribes from the source.
 *
 * @example
 * alerts$.pipe(flatten('related_events'))
 */
export function flatten(field: string): OperatorFunction<Timed<JsonObject>, Timed<JsonObject>> {
  return (source) =>
    new Observable<Timed<JsonObject>>((subscriber) =>
      source.subscribe({
        next({ time, value }) {
          for (const record of flattenRecord(value, field)) {
            if (subscriber.closed) return;
            subscriber.next({ time, value: record });
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
