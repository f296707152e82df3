import type { AuditEvent } from '../views';

/** Who did it: the actor's type, and its id when it has one. */
export function AuditActor({ actor }: { actor: AuditEvent['actor'] }) {
  return (
    <>
      {actor.type}
      {actor.id ? (
        <>
          {' '}
          <code>{actor.id}</code>
        </>
      ) : null}
    </>
  );
}

/** What the event recorded beside its action, as the API sent it (JSON); a dash for none. */
export function AuditDetail({ detail }: { detail: AuditEvent['detail'] }) {
  return detail ? <code>{JSON.stringify(detail)}</code> : <>–</>;
}
