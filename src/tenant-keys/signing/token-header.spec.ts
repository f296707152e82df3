import { ValidationFailedError, type FieldError } from '../../common/domain-error';
import { callerHeader } from './token-header';

function refusals(header: Record<string, unknown>): FieldError[] {
  try {
    callerHeader(header);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationFailedError);
    return (error as ValidationFailedError).errors;
  }
  return [];
}
const refusedFields = (header: Record<string, unknown>) => refusals(header).map((problem) => problem.field);

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

  it('takes values of 1 to 255 characters, and refuses empty, longer, null, number, list or object values', () => {
    expect(callerHeader({ typ: 'x', cty: 'c'.repeat(255) })).toEqual({ typ: 'x', cty: 'c'.repeat(255) });
    for (const value of ['', 'c'.repeat(256), null, 1, ['JWT'], { v: 'JWT' }]) {
      expect(refusedFields({ cty: value })).toEqual(['header.cty']);
    }
  });

  it('says what is allowed and what is wrong, field by field', () => {
    expect(refusals({ kid: 'mine', typ: '' })).toEqual([
      { field: 'header.kid', message: 'header.kid is not allowed: a signing request sets only typ and cty' },
      { field: 'header.typ', message: 'header.typ must be a string of 1 to 255 characters' },
    ]);
  });
});
