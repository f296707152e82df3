import { QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable, isUniqueViolation } from './database-errors';

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a server shutting down (57P01), wrapped by TypeORM', { message: 'query failed', driverError: { code: '57P01' } }],
    ['a connection lost inside a transaction (TypeORM 1 releases its query runner)', new QueryRunnerProviderAlreadyReleasedError()],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
  ])('%s: the database is away', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', { code: '23505', message: 'duplicate key value' }],
    ['a programming error', new TypeError('x is undefined')],
    ['nothing', undefined],
  ])('%s: not an outage', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(isUniqueViolation(error)).toBe(_ === 'a unique violation');
  });
});
