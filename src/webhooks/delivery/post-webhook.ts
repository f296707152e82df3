import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { publicOnlyLookup, urlProblem } from './public-addresses';

const TIMEOUT_MS = 5_000;

/**
 * One POST of a webhook: its status, or an error (refused URL or address, connection, no whole answer within 5 s,
 * however slowly it trickles). Redirects are not followed. The URL is checked again first: a subscription made
 * while private addresses were allowed goes nowhere private once they are not.
 */
export function postWebhook(url: string, headers: Record<string, string>, body: string, allowPrivate: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const problem = urlProblem(url, allowPrivate);
    if (problem) return reject(new Error(problem));
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      lookup: allowPrivate ? undefined : publicOnlyLookup,
    });
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      outcome();
    };
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => settle(() => resolve(res.statusCode ?? 0)));
      res.on('error', (error) => settle(() => reject(error)));
      res.on('close', () => settle(() => reject(new Error('the answer was cut off'))));
    });
    req.on('error', (error) => settle(() => reject(error)));
    req.end(body);
  });
}
