import { useState } from 'preact/hooks';
import { OPERATIONS } from '../operations';
import { linkTo } from '../router';
import { CopyButton, Curl, duration, Outcome, Screen, useLoad, When } from '../ui';
import type { RotationPolicy, SigningPolicy, TenantKey } from '../views';
import { KeyActions } from './key-page-actions';
import { KeyHistory } from './key-page-history';
import { UsedBy } from './key-page-used-by';
import './key-page.css';

/**
 * One key: its facts, public material, policies, where it is used, its audit history and what may be done to it.
 * After an action everything on the page is read again, so it shows the service's state, not a guess.
 */
export function KeyPage({ id }: { id: string }) {
  // Another key is another page: nothing of the last one (its answer, typed fields) stays while this one loads.
  return <KeyView key={id} id={id} />;
}

function KeyView({ id }: { id: string }) {
  const [version, setVersion] = useState(0);
  const { answer } = useLoad<TenantKey>(OPERATIONS.getKey, { params: { id } }, [id, version]);
  const key = answer?.ok ? answer.data : null;
  const reload = () => setVersion((v) => v + 1);
  return (
    <Screen title={key ? `Key ${key.name}` : 'Key'}>
      <p>
        <a href={linkTo('keys')}>All keys</a>
      </p>
      {answer && !answer.ok ? <Outcome answer={answer} /> : null}
      {!answer ? <p role="status">Loading…</p> : null}
      {key ? (
        <div class="key-page">
          <KeyFacts tenantKey={key} />
          <Curl operation={OPERATIONS.getKey} request={{ params: { id: key.id } }} />
          <PublicMaterial tenantKey={key} />
          <Policies tenantKey={key} />
          <UsedBy tenantKey={key} version={version} />
          <KeyActions tenantKey={key} onChanged={reload} />
          <KeyHistory keyId={key.id} version={version} />
        </div>
      ) : null}
    </Screen>
  );
}

function KeyFacts({ tenantKey: key }: { tenantKey: TenantKey }) {
  return (
    <dl class="facts" aria-label="Key facts">
      <dt>Name</dt>
      <dd>{key.name}</dd>
      <dt>Alias</dt>
      <dd>{key.alias ? <code>{key.alias}</code> : 'none'}</dd>
      <dt>Key id</dt>
      <dd>
        <code>{key.id}</code>
      </dd>
      <dt>kid</dt>
      <dd>
        <code>{key.kid}</code>
      </dd>
      <dt>Algorithm</dt>
      <dd>
        {key.algorithm} ({[key.type, key.curve, `${key.length} bits`].filter(Boolean).join(', ')})
      </dd>
      <dt>Custody</dt>
      <dd>
        {key.custody}, {key.hasPrivateKey ? 'signs and verifies' : 'verifies only (no private key)'}
      </dd>
      <dt>Status</dt>
      <dd>{key.status}</dd>
      <dt>Issuer</dt>
      <dd>{key.issuer ?? 'none'}</dd>
      <dt>Created</dt>
      <dd>
        <When at={key.createdAt} />
      </dd>
      <dt>Next rotation</dt>
      <dd>
        <When at={key.nextRotationAt} />
      </dd>
      <dt>Activates</dt>
      <dd>
        <When at={key.activatesAt} />
      </dd>
      <dt>Retires</dt>
      <dd>
        <When at={key.retireAt} />
      </dd>
      <dt>Deleted</dt>
      <dd>
        <When at={key.deleteAt} />
      </dd>
      <dt>Certificate expires</dt>
      <dd>
        <When at={key.certificateExpiresAt} />
      </dd>
    </dl>
  );
}

function PublicMaterial({ tenantKey: key }: { tenantKey: TenantKey }) {
  return (
    <>
      <h2>Public key</h2>
      {key.publicKey && key.jwk ? (
        <>
          <pre aria-label="Public key PEM">{key.publicKey}</pre>
          <CopyButton text={key.publicKey} label="Copy PEM" />
          <pre aria-label="Public key JWK">{JSON.stringify(key.jwk, null, 2)}</pre>
          <CopyButton text={JSON.stringify(key.jwk, null, 2)} label="Copy JWK" />
        </>
      ) : (
        <p>An HMAC key has no public key: its secret stays in the service and is never shown, so there is no PEM or JWK to copy.</p>
      )}
      <h2>Certificate</h2>
      {key.certificate ? (
        <>
          <pre aria-label="Certificate PEM">{key.certificate}</pre>
          <CopyButton text={key.certificate} label="Copy certificate" />
        </>
      ) : (
        <p>No certificate.</p>
      )}
    </>
  );
}

function Policies({ tenantKey: key }: { tenantKey: TenantKey }) {
  return (
    <>
      <h2>Signing policy</h2>
      {key.signingPolicy ? <SigningRules policy={key.signingPolicy} /> : <p>None: the key signs any claims, with any lifetime.</p>}
      <h2>Rotation policy</h2>
      {key.rotationPolicy ? <RotationRules policy={key.rotationPolicy} /> : <p>None: the key rotates only when asked.</p>}
    </>
  );
}

function SigningRules({ policy }: { policy: SigningPolicy }) {
  const list = (names: string[] | undefined) => (names?.length ? names.join(', ') : 'any');
  return (
    <dl class="facts" aria-label="Signing policy">
      <dt>Allowed audiences</dt>
      <dd>{list(policy.allowedAudiences)}</dd>
      <dt>Required claims</dt>
      <dd>{policy.requiredClaims?.length ? policy.requiredClaims.join(', ') : 'none'}</dd>
      <dt>Forbidden claims</dt>
      <dd>{policy.forbiddenClaims?.length ? policy.forbiddenClaims.join(', ') : 'none'}</dd>
      <dt>Longest token lifetime</dt>
      <dd>{policy.maxExpiresInSeconds ? duration(policy.maxExpiresInSeconds) : 'no limit'}</dd>
      <dt>Fixed issuer</dt>
      <dd>{policy.fixedIssuer ?? 'none'}</dd>
    </dl>
  );
}

function RotationRules({ policy }: { policy: RotationPolicy }) {
  return (
    <dl class="facts" aria-label="Rotation policy">
      <dt>Rotates every</dt>
      <dd>{duration(policy.rotateEverySeconds)}</dd>
      <dt>Successor published</dt>
      <dd>{duration(policy.prePublishSeconds)} before it takes over</dd>
      <dt>Old key verifies for</dt>
      <dd>{duration(policy.retireAfterSeconds)} after it stops signing</dd>
    </dl>
  );
}
