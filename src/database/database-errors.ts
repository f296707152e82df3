/** PostgreSQL SQLSTATEs and socket errors that mean "the database is not there right now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
  '3D000',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|not currently accepting connections|timeout exceeded when trying to connect|Client has encountered a connection error|not connected/i;

interface ErrorWithCode {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
}

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const { code, message, driverError, cause } = error as ErrorWithCode;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  // A connection lost inside a transaction: TypeORM released its query runner, and the COMMIT never went out.
  if (
    error instanceof Error &&
    ['CannotExecuteNotConnectedError', 'QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError'].includes(error.name)
  )
    return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
  return isDatabaseUnavailable(driverError, depth + 1) || isDatabaseUnavailable(cause, depth + 1);
}

/** A unique-constraint violation (SQLSTATE 23505), as TypeORM surfaces it. */
export function isUniqueViolation(error: unknown): boolean {
  const { code, driverError } = (error ?? {}) as ErrorWithCode;
  return code === '23505' || (driverError as ErrorWithCode | undefined)?.code === '23505';
}

/** The name of the unique index or constraint that a 23505 violated, if the error is one. */
export function violatedUniqueIndex(error: unknown): string | undefined {
  if (!isUniqueViolation(error)) return undefined;
  const { constraint, driverError } = error as { constraint?: string; driverError?: { constraint?: string } };
  return driverError?.constraint ?? constraint;
}
