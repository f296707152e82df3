import { ScopeRequiredError } from '../../common/domain-error';

/** The keys an API key may sign with (`signKeys`: key ids and aliases), or null for any of the tenant's keys. */
export type SignGrant = readonly string[] | null;

/** The key is one the grant names, by id or by the alias it carries now (rotations move the alias to the successor). */
export function assertMaySignWith(grant: SignGrant, key: { id: string; alias: string | null }): void {
  if (grant && !grant.includes(key.id) && !(key.alias !== null && grant.includes(key.alias))) {
    throw new ScopeRequiredError(`This API key may not sign with key ${key.id}`);
  }
}

/**
 * An API key limited by `signKeys` changes no key's id, alias or policies: it cannot choose a new key's id, set or
 * remove an alias, or set or remove a rotation or signing policy. So the names in its grant keep pointing at the keys
 * they pointed at (and their rotation successors), and the policies those keys sign under are not loosened by it.
 * `changes` says which of them a request sets (or removes).
 */
export function assertKeepsNamesAndPolicies(
  grant: SignGrant,
  changes: Partial<Record<'id' | 'alias' | 'rotationPolicy' | 'signingPolicy', boolean>>,
): void {
  if (!grant) return;
  const changed = Object.entries(changes)
    .filter(([, sets]) => sets)
    .map(([field]) => field);
  if (changed.length > 0) {
    throw new ScopeRequiredError(`This API key is limited to signing keys (signKeys): it may not set ${changed.join(', ')}`);
  }
}
