import { linkTo } from '../router';
import { When } from '../ui';
import type { AuditEvent } from '../views';

/** Audit events as the API answers them, one row each; `withKey` adds the key's column (a link to its page). */
export function AuditTable({ label, events, withKey = false }: { label: string; events: AuditEvent[]; withKey?: boolean }) {
  return (
    <div class="table-box">
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">At</th>
            <th scope="col">Action</th>
            {withKey ? <th scope="col">Key</th> : null}
            <th scope="col">Actor</th>
            <th scope="col">Outcome</th>
            <th scope="col">Request id</th>
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
              {withKey ? (
                <td>
                  {event.keyId ? (
                    <a href={linkTo('keys', event.keyId)}>
                      <code>{event.keyId}</code>
                    </a>
                  ) : (
                    '–'
                  )}
                </td>
              ) : null}
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
              {/* The detail as the API sent it (JSON). */}
              <td>{event.detail ? <code>{JSON.stringify(event.detail)}</code> : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
