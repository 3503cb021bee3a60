import axios, { type AxiosInstance } from 'axios';

/**
 * The CASB client's axios instance: the base URL and api key, a timeout per attempt, no redirect
 * ever followed, bodies capped once decompressed and kept as text (parsed strictly by the client).
 */
export function casbHttp(baseUrl: string, apiKey: string, timeoutMs: number, maxResponseBytes: number, signal: AbortSignal): AxiosInstance {
  return axios.create({
    baseURL: baseUrl,
    timeout: timeoutMs,
    // content-type only on the POSTs that carry a JSON body (a GET has none).
    headers: { 'x-api-key': apiKey, accept: 'application/json' },
    signal,
    // A redirect would re-send x-api-key, the token or client_secret wherever it points: never
    // followed (a 3xx is an error, CASB_REDIRECT_REFUSED). The API itself never redirects.
    maxRedirects: 0,
    // Counted after decompression: a gzip bomb is cut at the cap (casbResponseTooLarge).
    maxContentLength: maxResponseBytes,
    maxBodyLength: maxResponseBytes,
    // Bodies are parsed here, strictly, so that a bad body is an error with a clear message.
    responseType: 'text',
    transformResponse: (data: unknown) => data,
  });
}
