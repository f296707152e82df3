import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { createRootLogger, PinoNestLogger } from '../common/logging';
import type { AppConfig } from '../config/config';
import { openHsm } from '../hsm/hsm.module';
import { prepareRuntime, type Runtime } from '../runtime';
import { CliModule } from './cli.module';
import type { CliCommand, CommandContext, CommandResult } from './command';

/**
 * Runs a command whose command line has been read: the database (the embedded one started if need be), an
 * application context wired as the service is, pending migrations, then the command; its result on stdout.
 */
export async function runCommand(
  config: AppConfig,
  { command, json, run }: { command: CliCommand; json: boolean; run: (context: CommandContext) => Promise<CommandResult> },
): Promise<void> {
  // The service's log lines (pino JSON, pretty on a terminal), on standard error: standard output is the result's.
  const nestLogger = new PinoNestLogger(createRootLogger(config, 'stderr'));
  Logger.overrideLogger(nestLogger);
  // A database the CLI starts runs in a session of its own: interrupted, the CLI stops it before leaving
  // (interrupted while it starts, the next start adopts it). 128 + the signal's number, as shells report it.
  let runtime: Runtime | undefined;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => void (runtime?.stop() ?? Promise.resolve()).finally(() => process.exit(code)));
  }
  runtime = await prepareRuntime(config);
  const settled = runtime.config;
  // Built silently: what stops it (a database out of reach) is reported in one line, not as Nest's retries and
  // stacks, and abortOnError off leaves that to the CLI rather than an exit inside Nest.
  const app = await Promise.resolve()
    .then(() => NestFactory.createApplicationContext(CliModule.forRoot(settled, openHsm(settled)), { abortOnError: false, logger: false }))
    .catch(async (error: unknown) => {
      await runtime?.stop();
      throw error;
    });
  Logger.overrideLogger(nestLogger);
  try {
    // Every command first applies pending migrations, as the service does at start.
    const applied = (await app.get(DataSource).runMigrations({ transaction: 'all' })).map((migration) => migration.name);
    if (applied.length > 0 && !command.reportsMigrations) new Logger('CLI').log(`Applied ${applied.length} pending migrations`);
    const result = await run({ app, config: settled, json, applied });
    process.stdout.write(json ? `${JSON.stringify(result.json)}\n` : `${result.text}\n`);
    if (result.exitCode) process.exitCode = result.exitCode;
  } finally {
    await app.close();
    await runtime.stop();
  }
}
