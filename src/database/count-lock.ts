import type { EntityManager } from 'typeorm';

/**
 * Makes the transactions that count one owner's rows of one kind before adding one wait for each other, until
 * this transaction ends (a transaction-scoped advisory lock): two creations at once cannot both take the last place.
 * Taken before any row lock of that owner's rows in the same transaction, by every caller: the one order that keeps
 * a count and a row lock from waiting for each other. (The scheduler's pruning locks a retired key first: no holder of
 * this lock ever waits for a retired key.)
 */
export async function lockCount(manager: EntityManager, kind: string, owner: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${kind}:${owner}`]);
}
