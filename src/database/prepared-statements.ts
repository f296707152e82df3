import type { Pool } from 'pg';
import type { DataSource, EntityMetadata } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * A hot read as a named prepared statement: each pooled connection parses and plans it once, then only binds and
 * executes it. `text` never changes under its `name` (the pg driver refuses a name reused for another text), and names
 * its columns (never `*`): a column added by a migration while the instance runs leaves the statement's result as it was.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * The statement's rows, as the pg driver parses them (timestamptz to Date, jsonb to objects, bytea to Buffer), on
 * TypeORM's own pool and with no entity hydration: for reads whose rows go straight to a view.
 */
export async function preparedRows<Row>(dataSource: DataSource, statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  return (await pool.query({ name: statement.name, text: statement.text, values })).rows as Row[];
}

/** Every column of the entity, named as its property (`public_jwk AS "publicJwk"`): a row then reads as the entity. */
export function entityColumns(metadata: EntityMetadata, alias?: string): string {
  const prefix = alias ? `${alias}.` : '';
  return metadata.columns.map((column) => `${prefix}"${column.databaseName}" AS "${column.propertyName}"`).join(', ');
}
