import { useState } from 'preact/hooks';
import { signIn, type Answer, type Principal } from '../api';
import { OPERATIONS } from '../operations';
import { Curl, Outcome } from '../ui';

/**
 * Tenant id and API key, kept in memory only (api.ts): a reload asks again. The key is checked by asking the
 * service who it is; what it answers decides what the console offers.
 */
export function SignIn({ onSignedIn, ended }: { onSignedIn: (principal: Principal) => void; ended?: string }) {
  const [tenantId, setTenantId] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [answer, setAnswer] = useState<Answer<Principal>>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const result = await signIn(tenantId, apiKey);
    setBusy(false);
    if (result.ok && result.data) onSignedIn(result.data);
    else setAnswer(result);
  };
  return (
    <main id="main" class="sign-in">
      <h1>Key service console</h1>
      {ended && !answer ? (
        <p role="alert" class="outcome error">
          Signed out: the service refused the API key ({ended}). Sign in again with a valid key.
        </p>
      ) : null}
      <form onSubmit={submit} aria-label="Sign in">
        <label>
          Tenant id
          <input
            name="tenantId"
            value={tenantId}
            onInput={(e) => setTenantId(e.currentTarget.value)}
            required
            autoComplete="off"
            spellcheck={false}
          />
        </label>
        <label>
          API key
          <input
            name="apiKey"
            type="password"
            value={apiKey}
            onInput={(e) => setApiKey(e.currentTarget.value)}
            required
            autoComplete="off"
            spellcheck={false}
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <Outcome answer={answer} />
      <p class="hint">
        The key stays in this tab's memory only: a reload or a new tab asks again. Use a short-lived key with only the scopes you need (README,
        “Console”).
      </p>
      <Curl operation={OPERATIONS.whoAmI} />
    </main>
  );
}
