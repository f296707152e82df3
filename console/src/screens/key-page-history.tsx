import { useState } from 'preact/hooks';
import { OPERATIONS } from '../operations';
import { useMissingRight } from '../session';
import { Curl, Outcome, Pager, Reason, useLoad, When } from '../ui';
import type { AuditEvent } from '../views';
import { AuditActor, AuditDetail } from './audit-parts';

const PAGE_SIZE = '20';

/** The key's audit events, newest first as the service answers them, a page at a time (meta.nextCursor). */
export function KeyHistory({ keyId, version }: { keyId: string; version: number }) {
  const why = useMissingRight(OPERATIONS.listAudit);
  return (
    <>
      <h2>Audit history</h2>
      {why ? <Reason why={why} /> : <HistoryPages keyId={keyId} version={version} />}
    </>
  );
}

function HistoryPages({ keyId, version }: { keyId: string; version: number }) {
  const [cursor, setCursor] = useState<string>();
  const request = { query: { keyId, limit: PAGE_SIZE, cursor } };
  const page = useLoad<AuditEvent[]>(OPERATIONS.listAudit, request, [keyId, version, cursor]);
  const events = page.answer?.ok ? (page.answer.data ?? []) : [];
  return (
    <>
      {page.answer && !page.answer.ok ? <Outcome answer={page.answer} /> : null}
      {events.length === 0 && page.answer?.ok ? <p>No events.</p> : null}
      {events.length > 0 ? (
        <div class="table-box">
          <table aria-label="Audit history">
            <thead>
              <tr>
                <th scope="col">At</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">By</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td>
                    <When at={event.at} />
                  </td>
                  <td>{event.action}</td>
                  <td>{event.outcome}</td>
                  <td>
                    <AuditActor actor={event.actor} />
                  </td>
                  <td>
                    <AuditDetail detail={event.detail} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager meta={page.answer?.meta} cursor={cursor} onPage={setCursor} />
      <Curl operation={OPERATIONS.listAudit} request={request} />
    </>
  );
}
