import 'reflect-metadata';
import { COMMANDS } from './cli/commands';
import { readCommandLine, usage } from './cli/command-line';
import { UsageError } from './cli/command';
import { runCommand } from './cli/run-command';
import { ConfigError, loadConfig, loadDotEnv } from './config/config';
import { isDatabaseUnavailable } from './database/database-errors';

/** The command-line entry (`npm run cli -- <command>`): the commands are the table in cli/commands.ts. */
async function main(argv: string[]): Promise<void> {
  loadDotEnv();
  const commandLine = readCommandLine(argv, COMMANDS);
  if ('usage' in commandLine) {
    // The usage speaks of what is configured when the configuration loads (kek:rotate names the key that seals).
    const text = `${usage(COMMANDS, configIfValid())}\n`;
    if (commandLine.usage === 'asked') process.stdout.write(text);
    else {
      process.stderr.write(text);
      process.exitCode = 2;
    }
    return;
  }
  await runCommand(loadConfig(), commandLine);
}

function configIfValid() {
  try {
    return loadConfig();
  } catch {
    return undefined;
  }
}

// Whatever a library prints with console.log goes to standard error too: standard output is the result's.
console.log = console.error;
main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) process.stderr.write(`Configuration error: ${problem}\n`);
  } else if (error instanceof UsageError) {
    process.stderr.write(`Error: ${error.message} (npm run cli -- --help for usage)\n`);
    process.exit(2);
  } else if (isDatabaseUnavailable(error)) {
    // Never the URL itself: it may hold a password.
    process.stderr.write(`Error: cannot reach the database (${(error as Error).message}); check DATABASE_URL and that PostgreSQL is running\n`);
  } else {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
