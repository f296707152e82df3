import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { AppConfig } from '../config/config';
import { descriptionOf, UsageError, type CliCommand, type CliOption, type CommandContext, type CommandResult } from './command';

/** Options every command takes. */
const COMMON_OPTIONS = { json: { type: 'boolean' }, help: { type: 'boolean' } } as const;

/** What the command line asks for: the usage (on stdout for --help, on stderr with exit 2 for nothing), or a command. */
export type CommandLine =
  { usage: 'asked' | 'missing' } | { command: CliCommand; json: boolean; run: (context: CommandContext) => Promise<CommandResult> };

/**
 * Reads the command line against the table: an unknown command or option, an option of another command, or a
 * value its command refuses is a UsageError that says which. Nothing starts before this has passed.
 */
export function readCommandLine(argv: string[], commands: readonly CliCommand[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: everyOption(commands) });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { positionals, values } = parsed;
  const { json = false, help = false, ...given } = values as Record<string, string | boolean | undefined>;
  if (help) return { usage: 'asked' };
  const [name] = positionals;
  if (name === undefined) return { usage: 'missing' };
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"`);
  const foreign = Object.keys(given).find((option) => !(option in command.options));
  if (foreign !== undefined) throw new UsageError(`${name} takes no --${foreign}`);
  return { command, json: json === true, run: command.prepare(given) };
}

/** The options of every command, for one parse: two commands that share an option name must agree on its type. */
function everyOption(commands: readonly CliCommand[]): ParseArgsOptionsConfig {
  const options: ParseArgsOptionsConfig = { ...COMMON_OPTIONS };
  for (const command of commands) {
    for (const [name, { type }] of Object.entries(command.options)) {
      if (options[name] && options[name].type !== type)
        throw new Error(`--${name} is a ${options[name].type} in one command and a ${type} in ${command.name}`);
      options[name] = { type };
    }
  }
  return options;
}

const WIDTH = 110;
const SYNOPSIS_WIDTH = 41;

/** The usage, made of the table: each command's synopsis (from its options) and description, then what holds for all. */
export function usage(commands: readonly CliCommand[], config: AppConfig | undefined): string {
  const lines = ['Usage: npm run cli -- <command> [options]', ''];
  for (const command of commands) {
    const synopsis = `${command.name} ${[...Object.entries(command.options).map(([name, option]) => optionSynopsis(name, option)), '[--json]'].join(' ')}`;
    const description = wrap(descriptionOf(command, config), WIDTH - 2 - SYNOPSIS_WIDTH);
    const indent = ' '.repeat(2 + SYNOPSIS_WIDTH);
    if (synopsis.length < SYNOPSIS_WIDTH)
      lines.push(`  ${synopsis.padEnd(SYNOPSIS_WIDTH)}${description[0]}`, ...description.slice(1).map((line) => indent + line));
    else lines.push(`  ${synopsis}`, ...description.map((line) => indent + line));
  }
  lines.push(
    '',
    'With --json, a command that succeeds prints exactly one JSON object on standard output; logs, progress',
    'and errors go to standard error.',
    "Exit codes: 0 done, 1 failed, 2 bad usage. The CLI uses the service's configuration (.env and the environment).",
  );
  return lines.join('\n');
}

function optionSynopsis(name: string, { type, placeholder, required }: CliOption): string {
  const words = type === 'boolean' ? `--${name}` : `--${name} <${placeholder ?? 'value'}>`;
  return required ? words : `[${words}]`;
}

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}
