import { CollectorError } from '../errors/collectorError';

/**
 * The Devo CASB collector's errors (the seeds' error table), with the same ids and messages, so
 * that runbooks written for it still apply. Each is a {@link CollectorError} with a stable code.
 */

/** Ids of `ProofpointCasbInitVariablesError`. */
export type CasbInitErrorId = 1 | 2 | 3;

const INIT_CAUSES: Record<CasbInitErrorId, string> = {
  1: 'reading the user config',
  2: 'validating the user config',
  3: 'initializing the client used to communicate with the API',
};

/**
 * `ProofpointCasbInitVariablesError` 1 (reading the config), 2 (validating it) or 3 (setting up
 * the API client): the service cannot start; the message says which setting to fix.
 */
export class ProofpointCasbInitVariablesError extends CollectorError {
  override readonly name = 'ProofpointCasbInitVariablesError';

  constructor(
    readonly errorId: CasbInitErrorId,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('CASB_INIT_VARIABLES', `ProofpointCasbInitVariablesError ${errorId} (error while ${INIT_CAUSES[errorId]}): ${message}`, options);
  }
}

/**
 * `ProofpointCasbSetupError` 101: authentication failed twice in a row (the credentials were
 * refused, or a fresh token was refused at once). The service retries at its next cycle.
 */
export class ProofpointCasbSetupError extends CollectorError {
  override readonly name = 'ProofpointCasbSetupError';
  readonly errorId = 101;

  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      'CASB_SETUP',
      `ProofpointCasbSetupError 101: Potential issue with authentication. Please check credentials and detailed error message: ${detail}`,
      options,
    );
  }
}

/** The seeds' `ValueError`s about a 429's `Retry-After` header. */
export type RetryAfterProblem = 'missing' | 'empty' | 'invalid';

/**
 * A 429 whose `Retry-After` header is missing (`Retry-After header not found`), empty
 * (`Retry-After header value is None`) or unreadable: the requests of the input then wait with a
 * capped exponential backoff instead. Logged as a warning, never thrown out of the client.
 */
export class RetryAfterError extends CollectorError {
  override readonly name = 'ValueError';

  constructor(
    readonly problem: RetryAfterProblem,
    value?: string,
  ) {
    const text =
      problem === 'missing'
        ? 'Retry-After header not found'
        : problem === 'empty'
          ? 'Retry-After header value is None'
          : `Retry-After header value is neither seconds nor an HTTP date: ${JSON.stringify(value)}`;
    super('CASB_RETRY_AFTER', text);
  }
}
