import type { JWTPayload } from 'jose';
import { ValidationFailedError, type FieldError } from '../../common/domain-error';

/** What a key will sign: the bounds an operator sets so that a stolen signing credential cannot mint anything. */
export interface SigningPolicy {
  allowedAudiences?: string[];
  requiredClaims?: string[];
  forbiddenClaims?: string[];
  maxExpiresInSeconds?: number;
  fixedIssuer?: string;
}

/**
 * Checks a payload about to be signed against the key's policy; `lifetime` is the token's (seconds, null: no exp).
 * Every broken rule is named, claim by claim. A payload without `iss` gets the fixed issuer.
 */
export function applySigningPolicy(policy: SigningPolicy, payload: JWTPayload, lifetime: number | null): void {
  const problems: FieldError[] = [];
  if (policy.fixedIssuer !== undefined) {
    if (payload.iss === undefined) payload.iss = policy.fixedIssuer;
    else if (payload.iss !== policy.fixedIssuer)
      problems.push({ field: 'payload.iss', message: `payload.iss must be ${policy.fixedIssuer} (the key's fixedIssuer)` });
  }
  if (policy.allowedAudiences !== undefined) {
    const audiences = payload.aud === undefined ? [] : [payload.aud].flat();
    const refused = audiences.filter((audience) => !policy.allowedAudiences!.includes(audience));
    if (audiences.length === 0)
      problems.push({ field: 'payload.aud', message: `payload.aud is required: one of ${policy.allowedAudiences.join(', ')}` });
    for (const audience of refused)
      problems.push({ field: 'payload.aud', message: `payload.aud ${audience} is not allowed (allowed: ${policy.allowedAudiences.join(', ')})` });
  }
  for (const claim of policy.requiredClaims ?? []) {
    if (!Object.hasOwn(payload, claim) || payload[claim] === undefined)
      problems.push({ field: `payload.${claim}`, message: `payload.${claim} is required by the key's signing policy` });
  }
  for (const claim of policy.forbiddenClaims ?? []) {
    if (Object.hasOwn(payload, claim) && payload[claim] !== undefined)
      problems.push({ field: `payload.${claim}`, message: `payload.${claim} is forbidden by the key's signing policy` });
  }
  const max = policy.maxExpiresInSeconds;
  if (max !== undefined && (lifetime === null || lifetime > max)) {
    problems.push({ field: 'expiresIn', message: `expiresIn must be at most ${max} seconds (the key's maxExpiresInSeconds)` });
  }
  if (problems.length > 0) throw new ValidationFailedError(problems);
}
