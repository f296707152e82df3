import { DomainError } from '../common/domain-error';

/** The HSM that holds a key (or seals secrets) cannot be reached, or none is configured: a 503, try again later. */
export class HsmUnavailableError extends DomainError {
  constructor(message = 'The HSM is unavailable; try again shortly') {
    super('HSM_UNAVAILABLE', message);
  }
}
