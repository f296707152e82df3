import { defineCommand } from '../command';

/** Every command applies pending migrations first; this one only says which it applied. */
export const migrationRun = defineCommand({
  name: 'migration:run',
  options: {},
  description: 'apply pending database migrations',
  reportsMigrations: true,
  validate: () => undefined,
  run: ({ applied }) =>
    Promise.resolve({
      json: { migrated: true, applied },
      text:
        applied.length > 0 ? `Applied ${applied.length} migrations: ${applied.join(', ')}. Migrations are up to date.` : 'Migrations are up to date.',
    }),
});
