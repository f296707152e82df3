import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/config';
import { descriptionOf, UsageError } from './command';
import { readCommandLine, usage } from './command-line';
import { COMMANDS } from './commands';

const KEK = randomBytes(32).toString('base64');
const OLDER_KEK = randomBytes(32).toString('base64');
const DATABASE = { DATABASE_URL: 'postgres://db/keys' };

/** The usage's lines for one command: its synopsis line and the description lines under it. */
function usageOf(name: string, text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`  ${name} `));
  const end = lines.findIndex((line, index) => index > start && (line === '' || /^ {2}\S/.test(line)));
  return lines.slice(start, end).join('\n');
}

describe('the CLI command line', () => {
  it('lists every command of the table in the usage, each with all its options and a description', () => {
    const text = usage(COMMANDS, undefined);
    expect(text).toMatch(/^Usage: npm run cli -- <command> \[options\]\n/);
    expect(COMMANDS.map((command) => command.name)).toEqual([
      'tenant:create',
      'tenant:list',
      'apikey:create',
      'apikey:list',
      'apikey:revoke',
      'migration:run',
      'kek:rotate',
      'hsm:orphans',
      'audit:prune',
    ]);
    for (const command of COMMANDS) {
      const lines = usageOf(command.name, text);
      for (const option of [...Object.keys(command.options), 'json']) expect(lines).toContain(`--${option}`);
      expect(lines.replace(/\s+/g, ' ')).toContain(descriptionOf(command, undefined));
    }
  });

  it('shows required options bare, the others in brackets', () => {
    const text = usage(COMMANDS, undefined);
    expect(text).toContain('  tenant:create --name <name> [--json]     create a tenant and its first API key (shown once)');
    expect(usageOf('apikey:create', text)).toContain(
      'apikey:create --tenant <id> [--name <name>] [--scopes <a,b>] [--sign-keys <id|alias,...>] [--expires <date-time>] [--json]',
    );
    expect(usageOf('hsm:orphans', text)).toContain('hsm:orphans [--destroy] [--grace <s>] [--json]');
  });

  it('asks for the usage with --help (with or without a command), and finds it missing with no command', () => {
    expect(readCommandLine(['--help'], COMMANDS)).toEqual({ usage: 'asked' });
    expect(readCommandLine(['tenant:create', '--help'], COMMANDS)).toEqual({ usage: 'asked' });
    expect(readCommandLine([], COMMANDS)).toEqual({ usage: 'missing' });
  });

  it('finds the command and its --json wherever they stand', () => {
    expect(readCommandLine(['--json', 'tenant:list'], COMMANDS)).toMatchObject({ command: { name: 'tenant:list' }, json: true });
    expect(readCommandLine(['tenant:create', '--name', ' acme '], COMMANDS)).toMatchObject({ command: { name: 'tenant:create' }, json: false });
  });

  it.each([
    [['tenant:delete'], 'unknown command "tenant:delete"'],
    [['tenant:create', '--nme', 'x'], "Unknown option '--nme'"],
    [['tenant:create', '--name', 'acme', '--tenant', '5b0e8c1e-3c55-4a6f-9f0e-6b3f7f1f2a10'], 'tenant:create takes no --tenant'],
    [['tenant:create'], '--name is required'],
    [['tenant:create', '--name', '  '], '--name is required'],
    [['audit:prune', '--batch', '0'], '--days is required'],
    [['audit:prune', '--days', '30', '--batch', '0'], '--batch must be a whole number from 1 to 10000'],
    [['hsm:orphans', '--grace', '3601'], '--grace must be a whole number from 1 to 3600'],
    [['kek:rotate', '--batch', 'all'], '--batch must be a whole number from 1 to 10000'],
  ])('refuses %j before anything starts: "%s"', (argv, message) => {
    expect(() => readCommandLine(argv, COMMANDS)).toThrow(UsageError);
    expect(() => readCommandLine(argv, COMMANDS)).toThrow(message);
  });

  describe('kek:rotate names the key-encryption key as it is configured', () => {
    it.each([
      ['KEY_ENCRYPTION_KEY', { KEY_ENCRYPTION_KEY: KEK }, 'under what seals now: KEY_ENCRYPTION_KEY;'],
      [
        'KEY_ENCRYPTION_KEYS of two keys',
        { KEY_ENCRYPTION_KEYS: `${KEK},${OLDER_KEK}` },
        'under what seals now: the newest key-encryption key, the first of KEY_ENCRYPTION_KEYS;',
      ],
      ['KEY_ENCRYPTION_KEYS of one key', { KEY_ENCRYPTION_KEYS: KEK }, 'under what seals now: the key of KEY_ENCRYPTION_KEYS;'],
      [
        'PKCS11_KEK_LABEL',
        { KEY_ENCRYPTION_KEY: KEK, PKCS11_MODULE: '/hsm.so', PKCS11_TOKEN_LABEL: 'keys', PKCS11_PIN: '1234', PKCS11_KEK_LABEL: 'service-kek' },
        'under what seals now: the HSM\'s key-encryption key "service-kek" (PKCS11_KEK_LABEL);',
      ],
      [
        'PKCS11_KEK_LABEL with PKCS11_KEK_SEALS=false',
        {
          KEY_ENCRYPTION_KEY: KEK,
          PKCS11_MODULE: '/hsm.so',
          PKCS11_TOKEN_LABEL: 'keys',
          PKCS11_PIN: '1234',
          PKCS11_KEK_LABEL: 'service-kek',
          PKCS11_KEK_SEALS: 'false',
        },
        'under what seals now: KEY_ENCRYPTION_KEY;',
      ],
    ])('with %s', (_label, env, words) => {
      const text = usageOf('kek:rotate', usage(COMMANDS, loadConfig({ ...DATABASE, ...env })));
      expect(text.replace(/\s+/g, ' ')).toContain(words);
    });

    it('names the key the embedded database generated when neither variable is set, and every way without a configuration', () => {
      const embedded = usageOf('kek:rotate', usage(COMMANDS, loadConfig({ DATA_DIR: '/var/keys' }))).replace(/\s+/g, ' ');
      expect(embedded).toContain('under what seals now: the key-encryption key generated in /var/keys/key-encryption-key;');
      const unknown = usageOf('kek:rotate', usage(COMMANDS, undefined)).replace(/\s+/g, ' ');
      expect(unknown).toContain("the first key of KEY_ENCRYPTION_KEYS (or KEY_ENCRYPTION_KEY), or with PKCS11_KEK_LABEL the HSM's key");
    });
  });
});
