import { DomainError } from '../common/domain-error';

/** The database did not answer the liveness probe in time. */
export class DatabaseUnavailableError extends DomainError {
  constructor() {
    super('DATABASE_UNAVAILABLE', 'Database unavailable');
  }
}

/** A readiness check failed: the message names the checks. */
export class NotReadyError extends DomainError {
  constructor(failedChecks: string[]) {
    super('NOT_READY', `Not ready: ${failedChecks.join(', ')}`);
  }
}
