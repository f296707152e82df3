import { useEffect, useState } from 'preact/hooks';
import type { Answer, Call } from '../api';
import { OPERATIONS } from '../operations';
import { useMissingRight } from '../session';
import { Curl, Outcome, Reason, useCall } from '../ui';
import type { TenantKey } from '../views';

interface ActionProps {
  tenantKey: TenantKey;
  onChanged: () => void;
}

/** Rename, alias, rotate, schedule or cancel the deletion: each a form with its answer and its curl line. */
export function KeyActions({ tenantKey, onChanged }: { tenantKey: TenantKey; onChanged: () => void }) {
  const props = { tenantKey, onChanged };
  return (
    <>
      <h2>Actions</h2>
      <Rename {...props} />
      <Alias {...props} />
      <Rotate {...props} />
      <Deletion {...props} />
    </>
  );
}

/** Submits a form's call and, once the service took it, reads the key again. */
function submitter<T>(run: (request: Call) => Promise<Answer<T>>, onChanged: () => void) {
  return async (event: Event, request: Call) => {
    event.preventDefault();
    if ((await run(request)).ok) onChanged();
  };
}

function Rename({ tenantKey: key, onChanged }: ActionProps) {
  const why = useMissingRight(OPERATIONS.updateKey);
  const [name, setName] = useState(key.name);
  useEffect(() => setName(key.name), [key.name]);
  const { answer, busy, run } = useCall<TenantKey>(OPERATIONS.updateKey);
  const request = { params: { id: key.id }, body: { name } };
  const submit = submitter(run, onChanged);
  return (
    <form aria-labelledby="key-rename" onSubmit={(event) => submit(event, request)}>
      <h3 id="key-rename">Rename the key</h3>
      <label>
        Name
        <input value={name} onInput={(e) => setName(e.currentTarget.value)} disabled={!!why} required />
      </label>
      <span class="actions">
        <button type="submit" disabled={!!why || busy}>
          Rename
        </button>
        <Reason why={why} />
      </span>
      <Outcome answer={answer} />
      <Curl operation={OPERATIONS.updateKey} request={request} />
    </form>
  );
}

function Alias({ tenantKey: key, onChanged }: ActionProps) {
  const why = useMissingRight(OPERATIONS.updateKey);
  const [alias, setAlias] = useState(key.alias ?? '');
  useEffect(() => setAlias(key.alias ?? ''), [key.alias]);
  const { answer, request, busy, run } = useCall<TenantKey>(OPERATIONS.updateKey);
  const setRequest = { params: { id: key.id }, body: { alias } };
  const clearRequest = { params: { id: key.id }, body: { alias: null } };
  // The curl of the last button pressed: a clear until the alias is typed again.
  const cleared = request?.body !== undefined && (request.body as { alias: unknown }).alias === null && alias === '';
  const submit = submitter(run, onChanged);
  return (
    <form aria-labelledby="key-alias" onSubmit={(event) => submit(event, setRequest)}>
      <h3 id="key-alias">Set or clear the alias</h3>
      <label>
        Alias
        <input value={alias} onInput={(e) => setAlias(e.currentTarget.value)} disabled={!!why} required spellcheck={false} />
      </label>
      <span class="actions">
        <button type="submit" disabled={!!why || busy}>
          Set alias
        </button>
        <button type="button" disabled={!!why || busy || !key.alias} onClick={(event) => submit(event, clearRequest)}>
          Clear alias
        </button>
        <Reason why={why} />
      </span>
      <Outcome answer={answer} />
      <Curl operation={OPERATIONS.updateKey} request={cleared ? clearRequest : setRequest} />
    </form>
  );
}

function Rotate({ tenantKey: key, onChanged }: ActionProps) {
  const why = useMissingRight(OPERATIONS.rotateKey);
  const [grace, setGrace] = useState('');
  const { answer, busy, run } = useCall<TenantKey>(OPERATIONS.rotateKey);
  const request = { params: { id: key.id }, body: grace === '' ? {} : { gracePeriodSeconds: Number(grace) } };
  const submit = submitter(run, onChanged);
  return (
    <form aria-labelledby="key-rotate" onSubmit={(event) => submit(event, request)}>
      <h3 id="key-rotate">Rotate the key</h3>
      <p class="hint">A successor like this key signs from now on; this key keeps verifying for the grace period (default one day).</p>
      <label>
        Grace period in seconds (optional)
        <input type="number" min={0} value={grace} onInput={(e) => setGrace(e.currentTarget.value)} disabled={!!why} />
      </label>
      <span class="actions">
        <button type="submit" disabled={!!why || busy}>
          Rotate
        </button>
        <Reason why={why} />
      </span>
      <Outcome answer={answer} />
      <Curl operation={OPERATIONS.rotateKey} request={request} />
    </form>
  );
}

/** Schedule (the kid typed to confirm) or, once scheduled, cancel: one form, so its answer stays when the status changes. */
function Deletion({ tenantKey: key, onChanged }: ActionProps) {
  const [typed, setTyped] = useState('');
  const [days, setDays] = useState('');
  const schedule = useCall<TenantKey>(OPERATIONS.scheduleDeletion);
  const cancel = useCall<TenantKey>(OPERATIONS.cancelDeletion);
  const [last, setLast] = useState<Answer<TenantKey>>();
  const scheduled = key.status === 'pending_deletion';
  const why = useMissingRight(scheduled ? OPERATIONS.cancelDeletion : OPERATIONS.scheduleDeletion);
  const request = scheduled
    ? { params: { id: key.id } }
    : { params: { id: key.id }, body: days === '' ? {} : { afterSeconds: Number(days) * 86_400 } };
  const submit = async (event: Event) => {
    event.preventDefault();
    const answer = await (scheduled ? cancel : schedule).run(request);
    setLast(answer);
    if (answer.ok) {
      setTyped('');
      onChanged();
    }
  };
  return (
    <form aria-labelledby="key-deletion" onSubmit={submit}>
      <h3 id="key-deletion">Delete the key</h3>
      {scheduled ? (
        <p class="hint">The deletion is scheduled; cancelling it gives the key back its status, and its alias if still free.</p>
      ) : (
        <>
          <p class="hint">
            The key leaves the JWKS and neither signs nor verifies at once; it is deleted after the wait (default 30 days) unless the deletion is
            cancelled.
          </p>
          <label>
            Days until deletion (optional)
            <input type="number" min={0} value={days} onInput={(e) => setDays(e.currentTarget.value)} disabled={!!why} />
          </label>
          <label>
            Type the kid to confirm
            <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} disabled={!!why} autoComplete="off" spellcheck={false} />
          </label>
        </>
      )}
      <span class="actions">
        <button type="submit" disabled={!!why || schedule.busy || cancel.busy || (!scheduled && typed !== key.kid)}>
          {scheduled ? 'Cancel deletion' : 'Schedule deletion'}
        </button>
        <Reason why={why} />
      </span>
      <Outcome answer={last} />
      <Curl operation={scheduled ? OPERATIONS.cancelDeletion : OPERATIONS.scheduleDeletion} request={request} />
    </form>
  );
}
