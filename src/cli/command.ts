import type { INestApplicationContext } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { AppConfig, RuntimeConfig } from '../config/config';

/** Wrong words on the command line: exit code 2, as for any command-line tool. */
export class UsageError extends Error {}

/** One option of a command: a string (`--tenant <id>`) or a flag (`--destroy`). */
export interface CliOption {
  type: 'string' | 'boolean';
  /** What the value is, in the usage: `--tenant <id>`. */
  placeholder?: string;
  /** A string option the command cannot run without: missing or blank, it is a usage error. */
  required?: boolean;
}

export type CliOptions = Record<string, CliOption>;

/** The values a command's validation gets: required strings are there (trimmed), the others may be missing. */
export type OptionValues<O extends CliOptions> = {
  [K in keyof O]: O[K]['type'] extends 'boolean' ? boolean : O[K]['required'] extends true ? string : string | undefined;
};

/** What a command runs with, once the database is migrated and the application context is up. */
export interface CommandContext {
  app: INestApplicationContext;
  config: RuntimeConfig;
  /** --json: the result goes out as one JSON object; nothing is drawn on the terminal. */
  json: boolean;
  /** The migrations this run applied before the command (every command applies pending ones first). */
  applied: string[];
}

/** What a command prints: `json` with --json, `text` otherwise; `exitCode` 1 when it did only part of its work. */
export interface CommandResult {
  json: object;
  text: string;
  exitCode?: 1;
}

/** A description may speak of what is configured: `config` is the configuration when it loads, else undefined. */
export type Description = string | ((config: AppConfig | undefined) => string);

export const descriptionOf = (command: CliCommand, config: AppConfig | undefined): string =>
  typeof command.description === 'string' ? command.description : command.description(config);

/** A command of the table: its name, options and description (the usage is made of them), and how it runs. */
export interface CliCommand {
  name: string;
  options: CliOptions;
  description: Description;
  /** The command's result lists the migrations it applied, so they are not logged as well. */
  reportsMigrations?: boolean;
  /** Validates the command line (UsageError) before anything starts; returns what runs once the context is up. */
  prepare(values: Record<string, string | boolean | undefined>): (context: CommandContext) => Promise<CommandResult>;
}

/**
 * A command from its parts: `validate` turns the option values into what `run` needs, or throws a UsageError that
 * names the option; required options are checked before it.
 */
export function defineCommand<const O extends CliOptions, I>(command: {
  name: string;
  options: O;
  description: Description;
  reportsMigrations?: boolean;
  validate: (values: OptionValues<O>) => I;
  run: (context: CommandContext, input: I) => Promise<CommandResult>;
}): CliCommand {
  const { validate, run, ...rest } = command;
  return {
    ...rest,
    prepare(given) {
      const values: Record<string, string | boolean | undefined> = {};
      for (const [name, option] of Object.entries(command.options)) {
        const value = given[name];
        if (option.type === 'boolean') values[name] = value === true;
        else if (!option.required) values[name] = value;
        else if (typeof value === 'string' && value.trim() !== '') values[name] = value.trim();
        else throw new UsageError(`--${name} is required`);
      }
      const input = validate(values as OptionValues<O>);
      return (context) => run(context, input);
    },
  };
}

export function uuidOption(value: string, option: string): string {
  if (!isUUID(value, 'all')) throw new UsageError(`${option} must be a UUID`);
  return value.toLowerCase();
}

export function wholeNumberOption(value: string, option: string, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) throw new UsageError(`${option} must be a whole number from 1 to ${max}`);
  return parsed;
}

/** `--batch`, as kek:rotate and audit:prune take it: rows per transaction, 200 by default. */
export const BATCH_OPTION = { type: 'string', placeholder: 'n' } as const satisfies CliOption;
export const batchSize = (value: string | undefined) => wholeNumberOption(value ?? '200', '--batch', 10_000);
