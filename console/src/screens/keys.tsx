import { useState } from 'preact/hooks';
import { OPERATIONS } from '../operations';
import { linkTo } from '../router';
import { useMissingRight } from '../session';
import { Curl, Outcome, Reason, Screen, Select, When, useLoad } from '../ui';
import type { TenantKey } from '../views';
import { ALGORITHMS, KEY_STATUSES } from '../vocabulary';
import './keys.css';

/**
 * The tenant's keys, oldest first, as `GET /key` answers them (every key: the service bounds their number, and the
 * route has no filters, so status and algorithm narrow the rows here).
 */
export function Keys() {
  const { answer } = useLoad<TenantKey[]>(OPERATIONS.listKeys);
  const [status, setStatus] = useState('');
  const [algorithm, setAlgorithm] = useState('');
  const keys = answer?.data ?? [];
  const shown = keys.filter((key) => (!status || key.status === status) && (!algorithm || key.algorithm === algorithm));
  return (
    <Screen title="Keys">
      <div class="actions keys-actions">
        <NewKeyLink />
      </div>
      <div class="filters">
        <Select id="keys-status" label="Status" value={status} options={[['', 'any'], ...KEY_STATUSES]} onChange={setStatus} />
        <Select id="keys-algorithm" label="Algorithm" value={algorithm} options={[['', 'any'], ...ALGORITHMS]} onChange={setAlgorithm} />
      </div>
      {!answer ? (
        <p role="status">Loading keys…</p>
      ) : !answer.ok ? (
        <Outcome answer={answer} />
      ) : keys.length === 0 ? (
        <p role="status">This tenant has no keys yet.</p>
      ) : (
        <>
          <p role="status" class="hint">
            {shown.length === keys.length ? count(keys.length) : `${shown.length} of ${count(keys.length)} match the filters`}
          </p>
          <KeyTable keys={shown} />
        </>
      )}
      <Curl operation={OPERATIONS.listKeys} />
    </Screen>
  );
}

const count = (keys: number) => (keys === 1 ? '1 key' : `${keys} keys`);

/** A link to the New key screen, or the same words greyed out with the reason when the API key may not make keys. */
function NewKeyLink() {
  const missing = useMissingRight(OPERATIONS.generateKey);
  if (!missing) return <a href={linkTo('keys', 'new')}>New key</a>;
  return (
    <>
      <button type="button" disabled>
        New key
      </button>
      <Reason why={missing} />
    </>
  );
}

function KeyTable({ keys }: { keys: TenantKey[] }) {
  return (
    <div class="table-box">
      <table aria-label="Keys" class="keys-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Alias</th>
            <th scope="col">Kid</th>
            <th scope="col">Algorithm</th>
            <th scope="col">Custody</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Next rotation</th>
            <th scope="col">Certificate expires</th>
          </tr>
        </thead>
        <tbody>
          {keys.length === 0 ? (
            <tr>
              <td colSpan={9}>No key matches these filters.</td>
            </tr>
          ) : (
            keys.map((key) => <KeyRow key={key.id} tenantKey={key} />)
          )}
        </tbody>
      </table>
    </div>
  );
}

function KeyRow({ tenantKey: key }: { tenantKey: TenantKey }) {
  return (
    <tr>
      <td>
        <a href={linkTo('keys', key.id)}>{key.name}</a>
      </td>
      <td>{key.alias ?? <span aria-label="none">–</span>}</td>
      <td class="kid">
        <code>{key.kid}</code>
      </td>
      <td>
        {key.algorithm} <span class="hint">{key.curve ?? `${key.length} bits`}</span>
      </td>
      <td>{key.custody}</td>
      <td>
        {key.status}
        <StatusDate tenantKey={key} />
      </td>
      <td>
        <When at={key.createdAt} />
      </td>
      <td>
        <When at={key.nextRotationAt} />
      </td>
      <td>
        <When at={key.certificateExpiresAt} />
      </td>
    </tr>
  );
}

/** When the key leaves its status: a successor starts signing, a retiring key retires, a key is deleted. */
function StatusDate({ tenantKey: key }: { tenantKey: TenantKey }) {
  const [label, at] =
    key.status === 'next'
      ? ['activates', key.activatesAt]
      : key.status === 'retiring'
        ? ['retires', key.retireAt]
        : key.status === 'pending_deletion'
          ? ['deleted', key.deleteAt]
          : [];
  if (!label || !at) return null;
  return (
    <span class="hint status-date">
      {label} <When at={at} />
    </span>
  );
}
