/**
 * Reads environment variables into typed values. A bad value does not throw: it becomes one line in `problems`,
 * said so that an operator can fix it, and every problem is reported at once. `Name` is the set of variables it may read.
 */
export class EnvReader<Name extends string = string> {
  readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** The trimmed value; undefined when unset or blank. */
  string(name: Name): string | undefined {
    const raw = this.env[name]?.trim();
    return raw === '' ? undefined : raw;
  }

  /** A whole number from `min` to `max` (inclusive); `as` says what it is ("a port number", "a whole number of seconds"). */
  integer(name: Name, fallback: number, { min, max, as }: { min: number; max?: number; as: string }): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < min || (max !== undefined && parsed > max)) {
      this.problem(`${name} must be ${as} ${max === undefined ? `of ${min} or more` : `from ${min} to ${max}`}, got "${raw}"`);
    }
    return parsed;
  }

  boolean(name: Name, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (raw !== 'true' && raw !== 'false') this.problem(`${name} must be true or false, got "${raw}"`);
    return raw === 'true';
  }

  /** One of `values`, compared without case. */
  oneOf<T extends string>(name: Name, values: readonly T[], fallback: T): T {
    const raw = this.string(name);
    const value = (raw?.toLowerCase() ?? fallback) as T;
    if (!values.includes(value)) this.problem(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
    return value;
  }

  /** A comma-separated list, blanks dropped. */
  list(name: Name): string[] {
    return (this.string(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }

  problem(message: string): void {
    this.problems.push(message);
  }
}
