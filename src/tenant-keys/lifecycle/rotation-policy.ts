import { ValidationFailedError } from '../../common/domain-error';
import type { RotationPolicyDto } from '../dto/key-lifecycle.dto';
import type { RotationPolicy } from '../entities/tenant-key.entity';

/**
 * A policy's bounds that protect verifiers, beyond each period's own (RotationPolicyDto): the successor is in every
 * cached JWKS before it signs (prePublishSeconds at least JWKS_MAX_AGE), and published within the period (less than
 * rotateEverySeconds). Answers the policy as stored; null stays null (no policy).
 */
export function validRotationPolicy(policy: RotationPolicyDto | null, jwksMaxAgeSeconds: number): RotationPolicy | null {
  if (!policy) return null;
  if (policy.prePublishSeconds < jwksMaxAgeSeconds) {
    const message = `rotationPolicy.prePublishSeconds must be at least ${jwksMaxAgeSeconds} (JWKS_MAX_AGE), so that cached key sets hold the successor before it signs`;
    throw new ValidationFailedError([{ field: 'rotationPolicy.prePublishSeconds', message }]);
  }
  if (policy.prePublishSeconds >= policy.rotateEverySeconds) {
    const message = `rotationPolicy.prePublishSeconds must be less than rotateEverySeconds (${policy.rotateEverySeconds})`;
    throw new ValidationFailedError([{ field: 'rotationPolicy.prePublishSeconds', message }]);
  }
  const { rotateEverySeconds, prePublishSeconds, retireAfterSeconds, algorithm, length } = policy;
  return {
    rotateEverySeconds,
    prePublishSeconds,
    retireAfterSeconds,
    ...(algorithm === undefined ? {} : { algorithm }),
    ...(length === undefined ? {} : { length }),
  };
}
