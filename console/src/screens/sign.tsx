import { useState } from 'preact/hooks';
import type { Call } from '../api';
import { OPERATIONS } from '../operations';
import { navigate } from '../router';
import { useMissingRight } from '../session';
import { CopyButton, Curl, Outcome, Reason, Screen, Select, useCall, useLoad } from '../ui';
import type { TenantKey } from '../views';
import { handOverToken } from './tokens-handoff';
import './tokens.css';

const DEFAULT_CLAIMS = '{\n  "sub": "user-42"\n}';

/** The claims typed, as the JSON object the service takes, or what is wrong with them. */
function parseClaims(text: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : 'Claims must be a JSON object';
  } catch (error) {
    return `Claims are not JSON: ${(error as Error).message}`;
  }
}

/** Signs a JWT with a key (chosen) or an alias (typed): the token shown, to copy or to check at once. */
export function Sign() {
  const keys = useLoad<TenantKey[]>(OPERATIONS.listKeys);
  const signers = (keys.answer?.data ?? []).filter((key) => key.status === 'active' && key.hasPrivateKey);
  const [keyId, setKeyId] = useState('');
  const [alias, setAlias] = useState('');
  const [claims, setClaims] = useState(DEFAULT_CLAIMS);
  const [lifetime, setLifetime] = useState('3600');
  const byAlias = alias.trim() !== '';
  const operation = byAlias ? OPERATIONS.signWithAlias : OPERATIONS.signWithKey;
  const sign = useCall<{ token: string }>(operation);
  const chosen = byAlias ? signers.find((key) => key.alias === alias.trim()) : signers.find((key) => key.id === (keyId || signers[0]?.id));
  const target = byAlias ? { id: chosen?.id ?? '', alias: alias.trim() } : chosen && { id: chosen.id, alias: chosen.alias };
  const missing = useMissingRight(operation, target);
  const payload = parseClaims(claims);
  const request: Call = {
    params: byAlias ? { alias: alias.trim() } : { id: chosen?.id ?? '<key id>' },
    body: {
      payload: typeof payload === 'string' ? {} : payload,
      ...(lifetime.trim() === '' ? {} : { expiresIn: Number(lifetime) }),
    },
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    await sign.run(request);
  };
  const token = sign.answer?.ok ? sign.answer.data?.token : undefined;
  return (
    <Screen title="Sign">
      <form onSubmit={submit} aria-label="Sign a token">
        <Select
          id="sign-key"
          label="Key"
          value={chosen && !byAlias ? chosen.id : keyId}
          options={signers.map((key) => [key.id, `${key.name}${key.alias ? ` (alias ${key.alias})` : ''} · ${key.algorithm}`])}
          onChange={(value) => {
            setKeyId(value);
            sign.reset();
          }}
          disabled={byAlias}
        />
        {keys.answer && !keys.answer.ok ? <Outcome answer={keys.answer} /> : null}
        {keys.answer?.ok && signers.length === 0 ? <p class="hint">No active key with a private part: type an alias, or generate a key.</p> : null}
        <label>
          Or an alias (signs with the key it points at when the service signs)
          <input
            value={alias}
            onInput={(e) => {
              setAlias(e.currentTarget.value);
              sign.reset();
            }}
            spellcheck={false}
            autoComplete="off"
          />
        </label>
        <label>
          Claims
          <textarea value={claims} onInput={(e) => setClaims(e.currentTarget.value)} spellcheck={false} />
        </label>
        {typeof payload === 'string' ? (
          <p role="alert" class="verdict invalid">
            {payload}
          </p>
        ) : null}
        <label>
          Lifetime (seconds)
          <input type="number" min={1} step={1} value={lifetime} onInput={(e) => setLifetime(e.currentTarget.value)} />
        </label>
        <div class="actions">
          <button type="submit" disabled={Boolean(missing) || !target || typeof payload === 'string' || sign.busy}>
            Sign
          </button>
          <Reason why={missing} />
        </div>
      </form>
      <Outcome answer={sign.answer} />
      {token ? (
        <section aria-label="Result">
          <pre aria-label="Signed token">{token}</pre>
          <div class="actions">
            <CopyButton text={token} label="Copy token" />
            <button
              type="button"
              onClick={() => {
                handOverToken(token);
                navigate('verify');
              }}
            >
              Check this token
            </button>
          </div>
        </section>
      ) : null}
      <Curl operation={operation} request={request} />
    </Screen>
  );
}
