import type { AxiosError } from 'axios';
import { CollectorError } from '../errors/collectorError';

/**
 * `CASB_REDIRECT_REFUSED` for a 3xx answer to `path`: redirects are never followed (they would
 * carry the api key, the token or client_secret elsewhere); the message names the `Location`
 * (clipped by `clip`), whether it is the same origin, and the setting to fix.
 */
export function redirectRefused(
  path: string,
  status: number,
  err: AxiosError,
  baseUrl: string,
  prefix: string,
  clip: (text: string) => string,
): CollectorError {
  const location = err.response?.headers['location'] as unknown;
  let target = 'without a Location';
  if (typeof location === 'string' && location !== '') {
    const same = originOf(location, baseUrl) === originOf(baseUrl, baseUrl);
    target = `to ${JSON.stringify(clip(location))} (${same ? 'same origin' : 'another origin'})`;
  }
  return new CollectorError(
    'CASB_REDIRECT_REFUSED',
    `${path} answered ${status} with a redirect ${target}: redirects are never followed, since they would carry the api key, the token or client_secret elsewhere. Set ${prefix}.override_url_base to the address of the CASB API itself (now ${originOf(baseUrl, baseUrl) ?? baseUrl})`,
    { cause: err },
  );
}

/** `scheme://host:port` of a URL (relative ones resolved against `base`), or undefined when unreadable. */
function originOf(url: string, base: string): string | undefined {
  try {
    return new URL(url, base).origin;
  } catch {
    return undefined;
  }
}
