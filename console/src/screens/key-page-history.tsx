import { useEffect, useState } from 'preact/hooks';
import { call, type Answer } from '../api';
import { OPERATIONS } from '../operations';
import { useMissingRight } from '../session';
import { Curl, Outcome, Reason, When } from '../ui';
import type { AuditEvent } from '../views';

const PAGE_SIZE = '20';

/** The key's audit events, newest first as the service answers them, a page at a time ("More" follows meta.nextCursor). */
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
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [last, setLast] = useState<Answer<AuditEvent[]>>();
  const [busy, setBusy] = useState(false);
  const firstPage = { query: { keyId, limit: PAGE_SIZE } };
  const nextCursor = last?.ok ? (last.meta?.nextCursor ?? null) : null;
  const nextPage = { query: { keyId, limit: PAGE_SIZE, cursor: nextCursor ?? undefined } };

  const load = async (request: typeof firstPage, append: boolean) => {
    setBusy(true);
    const answer = await call<AuditEvent[]>(OPERATIONS.listAudit, request);
    setBusy(false);
    setLast(answer);
    if (answer.ok) setEvents((shown) => [...(append ? shown : []), ...(answer.data ?? [])]);
  };
  useEffect(() => {
    void load(firstPage, false);
  }, [keyId, version]);

  return (
    <>
      {last && !last.ok ? <Outcome answer={last} /> : null}
      {events.length === 0 && last?.ok ? <p>No events.</p> : null}
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
                    {event.actor.type}
                    {event.actor.id ? (
                      <>
                        {' '}
                        <code>{event.actor.id}</code>
                      </>
                    ) : null}
                  </td>
                  <td>
                    {event.detail
                      ? Object.entries(event.detail)
                          .map(([name, value]) => `${name}: ${String(value)}`)
                          .join('; ')
                      : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {nextCursor ? (
        <button type="button" disabled={busy} onClick={() => load(nextPage, true)}>
          More
        </button>
      ) : null}
      <Curl operation={OPERATIONS.listAudit} request={nextCursor ? nextPage : firstPage} />
    </>
  );
}
