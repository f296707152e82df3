import { loadConfig, type RuntimeConfig } from '../config/config';
import { createRootLogger } from './logging';

const configWith = (env: Record<string, string> = {}) => ({ ...loadConfig(env), databaseUrl: 'postgres://unused' }) as RuntimeConfig;

/** A pino destination that keeps what it is given. */
const collector = () => {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
};

describe('the root logger', () => {
  it('writes JSON lines and censors credentials and key material wherever they appear', () => {
    const { lines, stream } = collector();
    createRootLogger(configWith(), stream).info(
      {
        req: { headers: { authorization: 'Basic ks_secret_api_key_value', 'x-stencil-tenantid': 't-1' } },
        key: { privateKey: '-----BEGIN PRIVATE KEY-----', d: 'scalar' },
        secret: 'hmac',
      },
      'hello',
    );
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ level: 30, msg: 'hello', secret: '[Redacted]', key: { privateKey: '[Redacted]', d: '[Redacted]' } });
    expect(line.req.headers).toEqual({ authorization: '[Redacted]', 'x-stencil-tenantid': 't-1' });
    expect(lines[0]).not.toMatch(/ks_secret|BEGIN PRIVATE|scalar|hmac/);
  });

  it('honours LOG_LEVEL', () => {
    const { lines, stream } = collector();
    const logger = createRootLogger(configWith({ LOG_LEVEL: 'warn' }), stream);
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['loud']);
  });

  it('is pretty, one line per entry, when a terminal is attached', () => {
    const written: string[] = [];
    const wasTTY = process.stdout.isTTY;
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    try {
      process.stdout.isTTY = true;
      createRootLogger(configWith()).info({ req: { headers: { authorization: 'Bearer eyJ.hidden.token' } } }, 'for people');
    } finally {
      process.stdout.isTTY = wasTTY;
      write.mockRestore();
    }
    const output = written.join('');
    expect(output).toContain('for people');
    expect(output).toContain('INFO');
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(() => JSON.parse(output)).toThrow();
    expect(output).not.toContain('eyJ.hidden.token');
  });
});
