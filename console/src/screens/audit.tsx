import { useState } from 'preact/hooks';
import { OPERATIONS } from '../operations';
import { linkTo } from '../router';
import { useMissingRight } from '../session';
import { Curl, Outcome, Reason, Screen, useLoad, When } from '../ui';
import type { AuditEvent } from '../views';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../vocabulary';
import { Pager } from './admin-parts';

interface Filters {
  action: string;
  keyId: string;
  outcome: string;
  limit: string;
}

const ANY: Filters = { action: '', keyId: '', outcome: '', limit: '50' };

/** The tenant's audit trail, newest first, in pages, narrowed by action, key and outcome as the API narrows it. */
export function Audit() {
  const why = useMissingRight(OPERATIONS.listAudit);
  const [draft, setDraft] = useState<Filters>(ANY);
  const [applied, setApplied] = useState<Filters>(ANY);
  const [cursor, setCursor] = useState<string>();
  const request = { query: { action: applied.action, keyId: applied.keyId.trim(), outcome: applied.outcome, limit: applied.limit, cursor } };
  const page = useLoad<AuditEvent[]>(OPERATIONS.listAudit, request, [applied, cursor]);
  const set = (name: keyof Filters) => (event: { currentTarget: { value: string } }) => setDraft({ ...draft, [name]: event.currentTarget.value });
  const submit = (event: Event) => {
    event.preventDefault();
    setCursor(undefined);
    setApplied(draft);
  };
  return (
    <Screen title="Audit trail">
      <form class="filters" onSubmit={submit} aria-label="Audit filters">
        <label>
          Action
          <select value={draft.action} onChange={set('action')}>
            <option value="">any</option>
            {AUDIT_ACTIONS.map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
        </label>
        <label>
          Key id
          <input value={draft.keyId} onInput={set('keyId')} autoComplete="off" spellcheck={false} />
        </label>
        <label>
          Outcome
          <select value={draft.outcome} onChange={set('outcome')}>
            <option value="">any</option>
            {AUDIT_OUTCOMES.map((outcome) => (
              <option key={outcome} value={outcome}>
                {outcome}
              </option>
            ))}
          </select>
        </label>
        <label>
          Per page
          <input type="number" min={1} max={1000} value={draft.limit} onInput={set('limit')} />
        </label>
        <button type="submit" disabled={Boolean(why)}>
          Show
        </button>
        <Reason why={why} />
      </form>
      {page.answer?.ok ? <AuditTable events={page.answer.data ?? []} /> : <Outcome answer={page.answer} />}
      <Pager meta={page.answer?.meta} cursor={cursor} onPage={setCursor} />
      <Curl operation={OPERATIONS.listAudit} request={request} />
    </Screen>
  );
}

function AuditTable({ events }: { events: AuditEvent[] }) {
  return (
    <div class="table-box">
      <table aria-label="Audit trail">
        <thead>
          <tr>
            <th>At</th>
            <th>Action</th>
            <th>Key</th>
            <th>Actor</th>
            <th>Outcome</th>
            <th>Request id</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td>
                <When at={event.at} />
              </td>
              <td>{event.action}</td>
              <td>
                {event.keyId ? (
                  <a href={linkTo('keys', event.keyId)}>
                    <code>{event.keyId}</code>
                  </a>
                ) : (
                  '–'
                )}
              </td>
              <td>
                {event.actor.type}
                {event.actor.id ? (
                  <>
                    {' '}
                    <code>{event.actor.id}</code>
                  </>
                ) : null}
              </td>
              <td>{event.outcome}</td>
              <td>{event.requestId ? <code>{event.requestId}</code> : '–'}</td>
              <td>{event.detail ? <code>{JSON.stringify(event.detail)}</code> : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
