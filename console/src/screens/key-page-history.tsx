import { useState } from 'preact/hooks';
import { OPERATIONS } from '../operations';
import { useMissingRight } from '../session';
import { Curl, Outcome, Pager, Reason, useLoad } from '../ui';
import type { AuditEvent } from '../views';
import { AuditTable } from './audit-parts';

const PAGE_SIZE = '20';

/**
 * The key's audit events, newest first as the service answers them, a page at a time (meta.nextCursor); from the
 * first page again when the key changes (a new `version` after an action).
 */
export function KeyHistory({ keyId, version }: { keyId: string; version: number }) {
  const why = useMissingRight(OPERATIONS.listAudit);
  return (
    <>
      <h2>Audit history</h2>
      {why ? <Reason why={why} /> : <HistoryPages key={`${keyId} ${version}`} keyId={keyId} />}
    </>
  );
}

function HistoryPages({ keyId }: { keyId: string }) {
  const [cursor, setCursor] = useState<string>();
  const request = { query: { keyId, limit: PAGE_SIZE, cursor } };
  const page = useLoad<AuditEvent[]>(OPERATIONS.listAudit, request, [cursor]);
  const events = page.answer?.ok ? (page.answer.data ?? []) : [];
  return (
    <>
      {page.answer && !page.answer.ok ? <Outcome answer={page.answer} /> : null}
      {events.length === 0 && page.answer?.ok ? <p>No events.</p> : null}
      {events.length > 0 ? <AuditTable label="Audit history" events={events} /> : null}
      <Pager meta={page.answer?.meta} cursor={cursor} onPage={setCursor} />
      <Curl operation={OPERATIONS.listAudit} request={request} />
    </>
  );
}
