import type { IncomingMessage } from 'node:http';
import type { SchedulerLike } from 'rxjs';
import { CollectorError, type ErrorCode } from '../errors/collectorError';

/** Most bytes of a refused handshake's body that are read (and logged). */
export const REFUSAL_BODY_MAX_BYTES = 2048;

const HANDSHAKE_CODES: Record<number, ErrorCode> = {
  400: 'POD_HANDSHAKE_400',
  401: 'POD_HANDSHAKE_401',
  404: 'POD_HANDSHAKE_404',
  409: 'POD_HANDSHAKE_409',
};

/** What {@link podHandshakeRefusal} names in its message. */
export interface RefusalContext {
  /** The PoD service (`message`, `maillog`, `audit`). */
  readonly type: string;
  /** Prefix of the setting names, e.g. `inputs.proofpoint_on_demand`. */
  readonly prefix: string;
}

/**
 * The error of a refused PoD handshake (an HTTP answer other than 101), once its body is read:
 * the first {@link REFUSAL_BODY_MAX_BYTES} bytes of it, until its end or until `deadlineMs`
 * (whichever comes first; the response is then destroyed, so that a dripped or endless body
 * cannot hold the attempt). The code follows the status (`POD_HANDSHAKE_409`, …), the message
 * quotes status, headers and body as Devo's collector logs them, and names the setting to check.
 * Never rejects.
 *
 * @example
 * ws.on('unexpected-response', (_req, res) => void podHandshakeRefusal(res, { type, prefix }, 5000, scheduler).then(fail));
 */
export function podHandshakeRefusal(res: IncomingMessage, context: RefusalContext, deadlineMs: number, scheduler: SchedulerLike): Promise<CollectorError> {
  return readCapped(res, deadlineMs, scheduler).then((body) => refusalError(res, body, context));
}

function readCapped(res: IncomingMessage, deadlineMs: number, scheduler: SchedulerLike): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      deadline.unsubscribe();
      res.removeListener('data', onData);
      res.destroy();
      resolve(body);
    };
    const onData = (chunk: string): void => {
      body += chunk.slice(0, REFUSAL_BODY_MAX_BYTES - body.length);
      if (body.length >= REFUSAL_BODY_MAX_BYTES) done();
    };
    const deadline = scheduler.schedule(done, Math.max(0, deadlineMs));
    // latin1: one character per byte, so the cap counts bytes.
    res.setEncoding('latin1');
    res.on('data', onData);
    res.on('end', done);
    res.on('error', done);
    res.on('close', done);
  });
}

function refusalError(res: IncomingMessage, body: string, { type, prefix }: RefusalContext): CollectorError {
  const status = res.statusCode ?? 0;
  const code = HANDSHAKE_CODES[status] ?? 'POD_HANDSHAKE_FAILED';
  const headers = JSON.stringify({
    date: res.headers.date,
    'content-type': res.headers['content-type'],
    'content-length': res.headers['content-length'],
  });
  const text = body.trim();
  const prefixText = `Handshake status ${status} ${res.statusMessage ?? ''} -+-+- ${headers} -+-+- ${JSON.stringify(text)}`;
  const hint: Record<string, string> = {
    POD_HANDSHAKE_409: `another session holds this api_token for type=${type} (is another collector running with the same token?)`,
    POD_HANDSHAKE_401: `the token or the cluster was refused: check ${prefix}.credentials.api_token (wrong or expired), ${prefix}.credentials.cluster_id, and the PoD syslog licence`,
    POD_HANDSHAKE_400: `the request was refused: check ${prefix}.credentials.cluster_id, the service name "${type}" and ${prefix}.services.${type}.start_time (sinceTime must be within 30 days)`,
    POD_HANDSHAKE_404: `no PoD Log API at this URL: check ${prefix}.services.${type}.override_url_base (or the input's)`,
    POD_HANDSHAKE_FAILED: `unexpected answer from the PoD Log API`,
  };
  return new CollectorError(code, `${prefixText} - ${hint[code]}`);
}
