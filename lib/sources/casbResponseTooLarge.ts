import { AxiosError } from 'axios';
import { CollectorError } from '../errors/collectorError';

/** Whether axios gave up on an answer because its body, inflated, passed `maxContentLength`. */
export function isResponseTooLarge(err: unknown): boolean {
  return err instanceof AxiosError && err.code === AxiosError.ERR_BAD_RESPONSE && /^maxContentLength size of \d+ exceeded$/.test(err.message);
}

/**
 * `CASB_BAD_RESPONSE` for an answer whose body (after decompression) passed `limitBytes`: it was
 * read no further (a gzip bomb costs at most the cap) and is not retried; the cycle ends and the
 * next one asks again. Names the setting that raises the cap.
 *
 * @example
 * throw casbResponseTooLarge('/v2/events', 64 * 1048576, 'inputs.proofpoint_casb', err);
 */
export function casbResponseTooLarge(path: string, limitBytes: number, prefix: string, cause: unknown): CollectorError {
  const mib = limitBytes / 1048576;
  return new CollectorError(
    'CASB_BAD_RESPONSE',
    `${path} answered with a body larger than ${Number.isInteger(mib) ? mib : mib.toFixed(3)} MiB (${prefix}.max_response_size_in_mb) once decompressed: not read further nor retried; raise ${prefix}.max_response_size_in_mb if the API's pages are really this large`,
    { cause },
  );
}
