import { useState } from 'preact/hooks';
import { OPERATIONS } from '../operations';
import { useMissingRight } from '../session';
import { Curl, Outcome, Pager, Reason, Screen, Select, useLoad } from '../ui';
import type { AuditEvent } from '../views';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../vocabulary';
import { AuditTable } from './audit-parts';

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
  const set = (name: keyof Filters) => (value: string) => setDraft({ ...draft, [name]: value });
  const submit = (event: Event) => {
    event.preventDefault();
    setCursor(undefined);
    setApplied(draft);
  };
  return (
    <Screen title="Audit trail">
      <form class="filters" onSubmit={submit} aria-label="Audit filters">
        <Select id="audit-action" label="Action" value={draft.action} options={[['', 'any'], ...AUDIT_ACTIONS]} onChange={set('action')} />
        <label>
          Key id
          <input value={draft.keyId} onInput={(e) => set('keyId')(e.currentTarget.value)} autoComplete="off" spellcheck={false} />
        </label>
        <Select id="audit-outcome" label="Outcome" value={draft.outcome} options={[['', 'any'], ...AUDIT_OUTCOMES]} onChange={set('outcome')} />
        <label>
          Per page
          <input type="number" min={1} max={1000} value={draft.limit} onInput={(e) => set('limit')(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={Boolean(why)}>
          Show
        </button>
        <Reason why={why} />
      </form>
      {page.answer?.ok ? <AuditTable label="Audit trail" events={page.answer.data ?? []} withKey /> : <Outcome answer={page.answer} />}
      <Pager meta={page.answer?.meta} cursor={cursor} onPage={setCursor} />
      <Curl operation={OPERATIONS.listAudit} request={request} />
    </Screen>
  );
}
