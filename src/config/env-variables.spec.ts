import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV_VARIABLES, loadConfig } from './config';

const ROOT = join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();

/** The configuration table's rows: the variables of the first cell (`A`, `B` (or `C`)) and the meaning in the last. */
function readmeRows(): { names: string[]; meaning: string }[] {
  const section = read('README.md')
    .split(/^## Configuration$/m)[1]
    .split(/^## /m)[0];
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split(' | ');
      return { names: [...cells[0].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]), meaning: cells[cells.length - 1] };
    });
}

describe('configuration named once', () => {
  const documented = sorted(ENV_VARIABLES);

  it('reads every variable of ENV_VARIABLES (and, being typed with it, no other)', () => {
    const asked = new Set<string>();
    const everySet = Object.fromEntries(ENV_VARIABLES.map((name) => [name, 'x']));
    const recording = new Proxy(everySet, {
      get: (target, name: string) => {
        asked.add(name);
        return target[name];
      },
    });
    // Every variable set (to nonsense) takes every branch that reads one; the problems are beside the point.
    expect(() => loadConfig(recording)).toThrow('Invalid configuration');
    expect(sorted(asked)).toEqual(documented);
  });

  it('.env.example names every variable, set or in a comment', () => {
    expect(sorted([...read('.env.example').matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]))).toEqual(documented);
  });

  it("the README's configuration table has a row for every variable", () => {
    expect(sorted(readmeRows().flatMap((row) => row.names))).toEqual(documented);
  });

  it('docker-compose.yml passes every variable to the service but those of the embedded database, which the image has not', () => {
    const embeddedOnly = readmeRows()
      .filter((row) => row.meaning.startsWith('embedded database only'))
      .flatMap((row) => row.names);
    expect(embeddedOnly).toContain('DATA_DIR');
    const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: { app: { environment: Record<string, string> } } };
    expect(sorted(Object.keys(compose.services.app.environment))).toEqual(documented.filter((name) => !embeddedOnly.includes(name)));
  });
});
