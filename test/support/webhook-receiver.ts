import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { expectEnvelope, type TestApp, type TestTenant } from './test-app';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Requests it is answering now, and the most it answered at once. */
  answering(): { now: number; most: number };
  close(): Promise<void>;
}

/**
 * A real webhook receiver on a local port: keeps what it gets, answers 500 to the first `failures` requests, and
 * answers each request `answerAfterMs` after it came (a slow receiver).
 */
export async function startReceiver(failures = 0, { answerAfterMs = 0 } = {}): Promise<Receiver> {
  const received: Received[] = [];
  let failed = 0;
  const answering = { now: 0, most: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    answering.now += 1;
    answering.most = Math.max(answering.most, answering.now);
    res.on('close', () => (answering.now -= 1));
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (failed < failures) {
        failed += 1;
        res.writeHead(500).end();
        return;
      }
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      setTimeout(() => res.writeHead(204).end(), answerAfterMs).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answering: () => ({ ...answering }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A slow receiver's open requests end now: the service's loops are not kept waiting.
        server.closeAllConnections();
      }),
  };
}

/** A receiver, and a subscription of the tenant to every event at its URL (its secret tracked by the secret scan). */
export async function receiverOfEveryEvent(testApp: TestApp, tenant: TestTenant): Promise<Receiver> {
  const receiver = await startReceiver();
  const subscribed = await request(testApp.http)
    .post('/key/webhooks')
    .set(tenant.headers)
    .send({ url: receiver.url, events: ['*'] });
  expectEnvelope(subscribed, 200);
  testApp.trackSecret((subscribed.body as { data: { secret: string } }).data.secret);
  return receiver;
}
