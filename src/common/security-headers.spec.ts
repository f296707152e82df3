import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { CONSOLE_CSP, SECURITY_HEADERS } from './security-headers';

describe('SECURITY_HEADERS', () => {
  it("are helmet's defaults, in its order and spelling", () => {
    const sent: [string, string][] = [];
    const response = { setHeader: (name: string, value: string) => void sent.push([name, value]), removeHeader: () => undefined };
    let refused: unknown;
    helmet()({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => (refused = error));
    expect(refused).toBeUndefined();
    expect(SECURITY_HEADERS).toEqual(sent);
  });
});

describe('CONSOLE_CSP', () => {
  const directives = new Map(
    CONSOLE_CSP.split(';')
      .map((directive) => directive.trim().split(/\s+/) as [string, ...string[]])
      .map(([name, ...values]) => [name, values]),
  );

  it('allows no inline code, no eval and nothing from elsewhere', () => {
    expect(CONSOLE_CSP).not.toMatch(/unsafe-|\*|https?:/);
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
  });

  it('turns on Trusted Types with no policy: no string can become HTML or script', () => {
    expect(directives.get('require-trusted-types-for')).toEqual(["'script'"]);
    expect(directives.get('trusted-types')).toEqual(["'none'"]);
  });
});
