import type { EntityManager } from 'typeorm';

/**
 * Makes the transactions that count one owner's rows of one kind before adding one wait for each other, until
 * this transaction ends (a transaction-scoped advisory lock): two creations at once cannot both take the last place.
 */
export async function lockCount(manager: EntityManager, kind: string, owner: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${kind}:${owner}`]);
}
