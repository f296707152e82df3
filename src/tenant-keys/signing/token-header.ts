import { ValidationFailedError } from '../../common/domain-error';

/**
 * The header parameters a signing request may set: what a JWT producer needs (RFC 7519 §5). Everything else is
 * refused, in any case: `alg`, `kid` and `x5*` are the service's, and the rest (`crit`, `zip`, `jku`, claims copied
 * into the header) would change what verifiers do with the token.
 */
const CALLER_HEADER_PARAMETERS = ['typ', 'cty'] as const;

/** The header a caller asked for, checked: 400 naming each parameter that is not allowed or not a short string. */
export function callerHeader(header: Record<string, unknown> | undefined): Record<string, string> {
  const problems = Object.entries(header ?? {}).flatMap(([name, value]) => {
    if (!(CALLER_HEADER_PARAMETERS as readonly string[]).includes(name)) {
      return [
        { field: `header.${name}`, message: `header.${name} is not allowed: a signing request sets only ${CALLER_HEADER_PARAMETERS.join(' and ')}` },
      ];
    }
    if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
      return [{ field: `header.${name}`, message: `header.${name} must be a string of 1 to 255 characters` }];
    }
    return [];
  });
  if (problems.length > 0) throw new ValidationFailedError(problems);
  return (header ?? {}) as Record<string, string>;
}
