import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import { ErrorEnvelopeDoc } from './api-docs';
import { ERROR_CODES, ERROR_STATUS } from './error-codes';

/** The codes the paragraph of docs/API.md on `code` names, in backquotes. */
function codesInApiDoc(): string[] {
  const doc = readFileSync(join(__dirname, '../../docs/API.md'), 'utf8');
  const paragraph = /^- `code` tells answers of one status apart[\s\S]*?(?=\n- )/m.exec(doc)?.[0] ?? '';
  return [...paragraph.matchAll(/`([A-Z][A-Z_]+)`/g)].map(([, code]) => code);
}

describe('the error registry (ERROR_STATUS)', () => {
  it('gives every code an HTTP error status', () => {
    const statuses = ERROR_CODES.map((code) => ({ code, status: Number(ERROR_STATUS[code]) }));
    for (const { code, status } of statuses) {
      expect({ code, isErrorStatus: status >= 400 && status <= 599 && STATUS_CODES[status] !== undefined }).toEqual({ code, isErrorStatus: true });
    }
  });

  it('is the closed list the OpenAPI error schema publishes as `code`', () => {
    // Where @ApiProperty keeps a property's schema (DECORATORS.API_MODEL_PROPERTIES, which @nestjs/swagger does not export).
    const code = Reflect.getMetadata('swagger/apiModelProperties', ErrorEnvelopeDoc.prototype, 'code') as { enum?: string[] };
    expect(code.enum).toEqual(ERROR_CODES);
  });

  it('is the list docs/API.md gives, no code more or less', () => {
    expect([...new Set(codesInApiDoc())].sort()).toEqual([...ERROR_CODES].sort());
  });
});
