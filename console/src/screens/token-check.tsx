import { useState } from 'preact/hooks';
import { OPERATIONS } from '../operations';
import { linkTo } from '../router';
import { useMissingRight } from '../session';
import { Curl, Outcome, Reason, Screen, useCall } from '../ui';
import { takeHandedToken } from './tokens-handoff';
import './tokens.css';

/** What `POST /key/verify` answers for a token that verifies. */
interface VerifiedToken {
  valid: true;
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  keyId: string;
}

type Decoded = { header: Record<string, unknown>; claims: Record<string, unknown> } | { problem: string };

/**
 * A compact JWS's header and claims, read in the page (base64url → UTF-8 → JSON) and checked by nothing: what a
 * token says, not whether it is true. Answers what is wrong with it when it is not one.
 */
function decodeToken(token: string): Decoded {
  const parts = token.split('.');
  if (parts.length !== 3) return { problem: `A JWT has 3 parts separated by dots; this has ${parts.length}.` };
  const [header, claims] = [parts[0], parts[1]].map(jsonObjectOf);
  if (typeof header === 'string') return { problem: `The header is not ${header}.` };
  if (typeof claims === 'string') return { problem: `The claims are not ${claims}.` };
  return { header, claims };
}

/** The JSON object a base64url part encodes, or what it fails to be. */
function jsonObjectOf(part: string): Record<string, unknown> | string {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return 'base64url';
  let text: string;
  try {
    const binary = atob(part.replaceAll('-', '+').replaceAll('_', '/'));
    text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    return 'base64url of UTF-8 text';
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : 'a JSON object';
  } catch {
    return 'JSON';
  }
}

/** Paste a JWT: its header and claims decoded here, and the service's verdict from `POST /key/verify`. */
export function TokenCheck() {
  const [token, setToken] = useState(() => takeHandedToken() ?? '');
  const verify = useCall<VerifiedToken>(OPERATIONS.verifyToken);
  const missing = useMissingRight(OPERATIONS.verifyToken);
  const trimmed = token.trim();
  const decoded = trimmed === '' ? undefined : decodeToken(trimmed);
  const check = async (event: Event) => {
    event.preventDefault();
    await verify.run({ body: { token: trimmed } });
  };
  const verdict = verify.answer;
  return (
    <Screen title="Token check">
      <form onSubmit={check} aria-label="Check a token">
        <label>
          Token
          <textarea
            value={token}
            onInput={(e) => {
              setToken(e.currentTarget.value);
              verify.reset();
            }}
            spellcheck={false}
            autoComplete="off"
          />
        </label>
        <div class="actions">
          <button type="submit" disabled={Boolean(missing) || trimmed === '' || verify.busy}>
            Check
          </button>
          <Reason why={missing} />
        </div>
      </form>
      {decoded && 'problem' in decoded ? (
        <p role="alert" class="verdict invalid">
          Not a JWT: {decoded.problem}
        </p>
      ) : null}
      {decoded && 'header' in decoded ? (
        <div class="token-parts">
          <div>
            <h2>Header</h2>
            <pre aria-label="Decoded header">{JSON.stringify(decoded.header, null, 2)}</pre>
          </div>
          <div>
            <h2>Claims</h2>
            <pre aria-label="Decoded claims">{JSON.stringify(decoded.claims, null, 2)}</pre>
          </div>
        </div>
      ) : null}
      {verdict ? (
        <section aria-label="Verdict">
          {verdict.ok && verdict.data ? (
            <p class="verdict valid">
              Valid: verified by key <a href={linkTo('keys', verdict.data.keyId)}>{verdict.data.keyId}</a> (kid{' '}
              <code>{String(verdict.data.header.kid)}</code>)
            </p>
          ) : (
            <p class="verdict invalid">Not valid: the service's reason below.</p>
          )}
          <Outcome answer={verdict} />
        </section>
      ) : null}
      <Curl operation={OPERATIONS.verifyToken} request={{ body: { token: trimmed || '<token>' } }} />
    </Screen>
  );
}
