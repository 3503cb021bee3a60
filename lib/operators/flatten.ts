import { Observable, type OperatorFunction } from 'rxjs';
import type { Valve } from '../flow/valve';
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
  return [...flattenedRecords(parent, field)];
}

/** The records of {@link flattenRecord}, one at a time: a parent with 60 000 children costs one record at a time. */
function* flattenedRecords(parent: JsonObject, field: string): Generator<JsonObject, void, undefined> {
  const children = parent[field];
  if (!Array.isArray(children) || children.length === 0) {
    yield parent;
    return;
  }
  const count = children.length;
  const indexKey = `${field}_index`;
  const countKey = `${field}_count`;
  for (let index = 0; index < count; index++) {
    const record: Record<string, unknown> = { ...parent };
    record[field] = children[index];
    record[indexKey] = index;
    record[countKey] = count;
    yield record;
  }
}

/** Options of {@link flatten}. */
export interface FlattenOptions {
  /**
   * The sink's valve: records are made only while it is open, and the rest wait (the parents
   * as they are, their records not yet made) until it reopens. Without it, every record of a
   * parent is emitted at once.
   */
  readonly valve?: Valve;
}

/**
 * Flattens each value on `field` (see {@link flattenRecord}); every record keeps its parent's
 * event time. The shape is the Devo CASB collectors' (docs/ARCHITECTURE.md, "Contracts"). With a
 * `valve`, the records are made lazily, as the sink takes them: one parent with tens of thousands
 * of children next to a large field costs what the valve holds, not all its lines at once.
 *
 * Completes once the source completed and every record went out; errors with the source (at once,
 * dropping what waits). Unsubscribing unsubscribes from the source and from the valve.
 *
 * @example
 * alerts$.pipe(flatten('related_events', { valve }), devoWrite({ …, valve }))
 */
export function flatten(field: string, options: FlattenOptions = {}): OperatorFunction<Timed<JsonObject>, Timed<JsonObject>> {
  const { valve } = options;
  return (source) =>
    new Observable<Timed<JsonObject>>((subscriber) => {
      const parents: Array<Timed<JsonObject>> = [];
      let head = 0;
      let current: { readonly time: number; readonly records: Iterator<JsonObject> } | undefined;
      let completed = false;
      let pumping = false;
      /** Emits records while the valve is open; re-entered from a record's emission, it leaves the work to the outer call. */
      const pump = () => {
        if (pumping) return;
        pumping = true;
        try {
          while (!subscriber.closed && (valve === undefined || valve.isOpen)) {
            if (current === undefined) {
              if (head === parents.length) break;
              const parent = parents[head]!;
              parents[head++] = undefined as unknown as Timed<JsonObject>;
              current = { time: parent.time, records: flattenedRecords(parent.value, field) };
            }
            const next = current.records.next();
            if (next.done === true) current = undefined;
            else subscriber.next({ time: current.time, value: next.value });
          }
          if (head === parents.length) {
            parents.length = 0;
            head = 0;
          }
        } finally {
          pumping = false;
        }
        if (completed && current === undefined && parents.length === 0) subscriber.complete();
      };
      const reopened = valve?.open$.subscribe((open) => {
        if (open) pump();
      });
      const subscription = source.subscribe({
        next(value) {
          parents.push(value);
          pump();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          completed = true;
          pump();
        },
      });
      return () => {
        reopened?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
