import { useState } from 'preact/hooks';
import type { Call } from '../api';
import { OPERATIONS } from '../operations';
import { useMissingRight, useSession } from '../session';
import { Curl, Outcome, Reason, Screen, useCall, useLoad, When } from '../ui';
import type { ApiKey, IssuedApiKey } from '../views';
import { API_KEY_SCOPES } from '../vocabulary';
import { Confirm, listOf, OnceSecret } from './admin-parts';

/** The tenant's API keys: create one (its secret shown once), see when each was last used, revoke. */
export function ApiKeys() {
  const why = useMissingRight(OPERATIONS.listApiKeys);
  const list = useLoad<ApiKey[]>(OPERATIONS.listApiKeys);
  return (
    <Screen title="API keys">
      <CreateApiKey why={why} onCreated={list.reload} />
      <h2>All API keys</h2>
      <Reason why={why} />
      {list.answer?.ok ? <ApiKeyTable keys={list.answer.data ?? []} why={why} onRevoked={list.reload} /> : <Outcome answer={list.answer} />}
      <Curl operation={OPERATIONS.listApiKeys} />
    </Screen>
  );
}

function CreateApiKey({ why, onCreated }: { why?: string; onCreated: () => void }) {
  const { principal } = useSession();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [signKeys, setSignKeys] = useState('');
  const [expires, setExpires] = useState('');
  const create = useCall<IssuedApiKey>(OPERATIONS.createApiKey);
  // The secret lives in this screen's state only (here and in the call's answer): navigating away unmounts it and forgets it.
  const [secret, setSecret] = useState<string>();
  const body = {
    name,
    scopes,
    ...(signKeys.trim() ? { signKeys: listOf(signKeys) } : {}),
    // datetime-local is the browser's local time; the API takes an instant.
    ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}),
  };
  const toggle = (scope: string, on: boolean) => setScopes(on ? [...scopes, scope] : scopes.filter((held) => held !== scope));
  const submit = async (event: Event) => {
    event.preventDefault();
    setSecret(undefined);
    const answer = await create.run({ body });
    if (answer.ok && answer.data) {
      setSecret(answer.data.apiKey);
      onCreated();
    }
  };
  return (
    <form onSubmit={submit} aria-label="Create an API key">
      <h2>Create an API key</h2>
      <label>
        Name
        <input value={name} onInput={(e) => setName(e.currentTarget.value)} required autoComplete="off" />
      </label>
      <fieldset class="choices">
        <legend>Scopes</legend>
        {API_KEY_SCOPES.map((scope) => {
          // A key gives at most what the calling key holds.
          const held = principal.scopes.includes(scope);
          return (
            <label class="inline" key={scope}>
              <input type="checkbox" checked={scopes.includes(scope)} disabled={!held} onChange={(e) => toggle(scope, e.currentTarget.checked)} />
              {scope}
              {held ? null : <Reason why="not held by this key" />}
            </label>
          );
        })}
      </fieldset>
      <label>
        Signing keys (key ids or aliases, comma-separated; empty: any)
        <input value={signKeys} onInput={(e) => setSignKeys(e.currentTarget.value)} autoComplete="off" spellcheck={false} />
      </label>
      {principal.signKeys ? <p class="hint">Within what this key may sign with: {principal.signKeys.join(', ')}</p> : null}
      <label>
        Expires (your local time; empty: never)
        <input type="datetime-local" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
      </label>
      <div class="actions">
        <button type="submit" disabled={Boolean(why) || create.busy}>
          Create API key
        </button>
        <Reason why={why} />
      </div>
      <Outcome answer={create.answer} />
      {secret ? <OnceSecret name="API key secret" secret={secret} /> : null}
      <Curl operation={OPERATIONS.createApiKey} request={{ body }} />
    </form>
  );
}

function ApiKeyTable({ keys, why, onRevoked }: { keys: ApiKey[]; why?: string; onRevoked: () => void }) {
  const { principal } = useSession();
  const revoke = useCall<unknown>(OPERATIONS.revokeApiKey);
  const revokeKey = async (request: Call) => {
    if ((await revoke.run(request)).ok) onRevoked();
  };
  return (
    <>
      <div class="table-box">
        <table aria-label="API keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>Scopes</th>
              <th>Signing keys</th>
              <th>Expires</th>
              <th>Created</th>
              <th>Last use</th>
              <th>Revoked</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => {
              const label = key.name ?? key.prefix;
              const self = key.id === principal.id;
              return (
                <tr key={key.id} class={key.revokedAt ? 'revoked' : undefined}>
                  <td>
                    {key.name ?? 'unnamed'}
                    {self ? <span class="this-key">this key</span> : null}
                  </td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{key.scopes.join(', ')}</td>
                  <td>{key.signKeys ? key.signKeys.join(', ') : 'any'}</td>
                  <td>{key.expiresAt ? <When at={key.expiresAt} /> : 'never'}</td>
                  <td>
                    <When at={key.createdAt} />
                  </td>
                  <td>{key.lastUsedAt ? <When at={key.lastUsedAt} /> : 'never'}</td>
                  <td>
                    <When at={key.revokedAt} />
                  </td>
                  <td class="nowrap">
                    {key.revokedAt ? null : (
                      <Confirm
                        action="Revoke"
                        what={label}
                        why={why ?? (self ? 'You are signed in with this key' : undefined)}
                        operation={OPERATIONS.revokeApiKey}
                        request={{ params: { id: key.id } }}
                        onConfirm={revokeKey}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Outcome answer={revoke.answer} />
      {revoke.request ? <Curl operation={OPERATIONS.revokeApiKey} request={revoke.request} /> : null}
    </>
  );
}
