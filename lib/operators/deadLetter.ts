/**
 * Where a pipeline step sends a value it cannot process (unparseable frame, invalid time), with
 * the reason. The stream goes on; the implementation counts, logs and stores the value (see
 * `DeadLetterFile`). A dead letter that throws errors the stream, as any throwing callback does.
 */
export type DeadLetter<T> = (value: T, reason: string) => void;
