import { OPERATIONS } from '../operations';
import { linkTo } from '../router';
import { rotationChainOf } from '../keys';
import { Curl, Outcome, Screen, When, duration, useLoad } from '../ui';
import type { TenantKey } from '../views';
import './tokens.css';

/** The statuses of a rotation chain, newest first: the order the timeline lists them in. */
const CHAIN_ORDER = ['next', 'active', 'retiring', 'retired', 'pending_deletion'];

interface Chain {
  alias: string;
  keys: TenantKey[];
}

/**
 * The keys of each alias: the key holding it and every key its rotations link to (rotatedFrom / rotatedTo), since a
 * published successor and a retiring predecessor hold no alias themselves. Answers the chains and how many keys none holds.
 */
function rotationChains(keys: TenantKey[]): { chains: Chain[]; unaliased: number } {
  const byId = new Map(keys.map((key) => [key.id, key]));
  const placed = new Set<string>();
  const chains = keys
    .filter((key): key is TenantKey & { alias: string } => key.alias !== null)
    .map((holder) => {
      const chain = rotationChainOf(holder, byId).filter((key) => !placed.has(key.id));
      for (const key of chain) placed.add(key.id);
      const order = (key: TenantKey) => CHAIN_ORDER.indexOf(key.status);
      chain.sort((a, b) => order(a) - order(b) || b.createdAt.localeCompare(a.createdAt));
      return { alias: holder.alias, keys: chain };
    })
    .sort((a, b) => a.alias.localeCompare(b.alias));
  return { chains, unaliased: keys.length - placed.size };
}

/** The max-age of a Cache-Control header, in seconds, or undefined without one. */
function maxAgeOf(cacheControl: string | null): number | undefined {
  const match = /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl ?? '');
  return match ? Number(match[1]) : undefined;
}

const secondsAfter = (at: string, seconds: number) => new Date(Date.parse(at) + seconds * 1000).toISOString();

/** Each alias's keys, next to retired, with the date of their next step, and when a published successor is safe to activate. */
export function Timeline() {
  const keys = useLoad<TenantKey[]>(OPERATIONS.listKeys);
  const jwks = useLoad<unknown>(OPERATIONS.jwks);
  const maxAge = jwks.answer?.ok ? maxAgeOf(jwks.answer.headers.get('cache-control')) : undefined;
  const { chains, unaliased } = rotationChains(keys.answer?.data ?? []);
  return (
    <Screen title="Rotation timeline">
      <p class="hint">
        {`A successor is in the JWKS from its creation, so it is safe to activate one JWKS max-age later${
          maxAge === undefined ? '' : ` (${duration(maxAge)}, from the JWKS Cache-Control)`
        }, when every verifier has fetched the JWKS again.`}
      </p>
      {keys.answer && !keys.answer.ok ? <Outcome answer={keys.answer} /> : null}
      {jwks.answer && !jwks.answer.ok ? <Outcome answer={jwks.answer} /> : null}
      {keys.answer?.ok ? (
        <p>
          {chains.length === 0 ? 'No key has an alias. ' : ''}
          {unaliased === 1 ? '1 key is' : `${unaliased} keys are`} in no alias's rotation chain, so not on the timeline.
        </p>
      ) : null}
      {chains.map((chain) => (
        <section key={chain.alias} aria-labelledby={`alias-${chain.alias}`} class="timeline">
          <h2 id={`alias-${chain.alias}`}>
            Alias <code>{chain.alias}</code>
          </h2>
          <ol aria-label={`Rotation timeline for ${chain.alias}`}>
            {chain.keys.map((key) => (
              <TimelineStep key={key.id} tenantKey={key} maxAge={maxAge} />
            ))}
          </ol>
        </section>
      ))}
      <Curl operation={OPERATIONS.listKeys} />
      <Curl operation={OPERATIONS.jwks} />
    </Screen>
  );
}

function TimelineStep({ tenantKey: key, maxAge }: { tenantKey: TenantKey; maxAge: number | undefined }) {
  const safeAt = key.status === 'next' && maxAge !== undefined ? secondsAfter(key.createdAt, maxAge) : undefined;
  const early = safeAt !== undefined && key.activatesAt !== null && Date.parse(key.activatesAt) < Date.parse(safeAt);
  return (
    <li class={`step ${key.status}`}>
      <p>
        <strong class="status">{key.status}</strong> <a href={linkTo('keys', key.id)}>{key.name}</a> <code>{key.kid}</code>
      </p>
      <dl class="facts">
        <dt>Created</dt>
        <dd>
          <When at={key.createdAt} />
        </dd>
        {key.status === 'next' ? (
          <>
            <dt>Activates</dt>
            <dd>
              <When at={key.activatesAt} />
            </dd>
            <dt>Safe to activate</dt>
            <dd>
              {safeAt ? (
                <>
                  <When at={safeAt} /> ({early ? 'it activates earlier' : 'it activates later, fine'})
                </>
              ) : (
                'unknown: the JWKS has no max-age'
              )}
            </dd>
          </>
        ) : null}
        {key.status === 'active' ? (
          <>
            <dt>Next rotation</dt>
            <dd>{key.nextRotationAt ? <When at={key.nextRotationAt} /> : 'none: no rotation policy'}</dd>
            {key.rotationPolicy ? (
              <>
                <dt>Rotation policy</dt>
                <dd>
                  every {duration(key.rotationPolicy.rotateEverySeconds)}, successor published {duration(key.rotationPolicy.prePublishSeconds)}{' '}
                  before, old key retired {duration(key.rotationPolicy.retireAfterSeconds)} after
                </dd>
              </>
            ) : null}
          </>
        ) : null}
        {key.status === 'retiring' || key.status === 'retired' ? (
          <>
            <dt>{key.status === 'retiring' ? 'Retires' : 'Retired'}</dt>
            <dd>
              <When at={key.retireAt} />
            </dd>
          </>
        ) : null}
        {key.status === 'pending_deletion' ? (
          <>
            <dt>Deleted</dt>
            <dd>
              <When at={key.deleteAt} />
            </dd>
          </>
        ) : null}
      </dl>
      {early ? <p class="warning">Warning: activates before every verifier has refreshed its JWKS.</p> : null}
    </li>
  );
}
