import { ValidationFailedError } from '../../common/domain-error';
import { callerHeader } from './token-header';

function refusedFields(header: Record<string, unknown>): string[] {
  try {
    callerHeader(header);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationFailedError);
    return (error as ValidationFailedError).errors.map((problem) => problem.field);
  }
  return [];
}

describe('callerHeader', () => {
  it('lets typ and cty through, and nothing at all', () => {
    expect(callerHeader({ typ: 'at+jwt', cty: 'JWT' })).toEqual({ typ: 'at+jwt', cty: 'JWT' });
    expect(callerHeader(undefined)).toEqual({});
  });

  it.each([['alg'], ['Kid'], ['ALG'], ['KID'], ['crit'], ['zip'], ['jku'], ['x5c'], ['sub'], ['Typ'], ['__proto__']])('refuses %s', (name) => {
    expect(refusedFields(JSON.parse(`{"${name}": "x"}`) as Record<string, unknown>)).toEqual([`header.${name}`]);
  });

  it('names every refused parameter, and typ values that are not short strings', () => {
    expect(refusedFields({ zip: 'DEF', Kid: 'k', typ: 3, cty: 'x'.repeat(256) })).toEqual(['header.zip', 'header.Kid', 'header.typ', 'header.cty']);
  });
});
