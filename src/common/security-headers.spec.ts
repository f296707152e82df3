import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { SECURITY_HEADERS } from './security-headers';

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
