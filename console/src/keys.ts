import type { TenantKey } from './views';

/**
 * The rotation chain through a key, oldest first: the keys it was rotated from (rotatedFrom, back), itself, and the
 * keys it was rotated to (rotatedTo, forward), as far as `byId` holds them. Each key once, so a loop ends.
 */
export function rotationChainOf(tenantKey: TenantKey, byId: ReadonlyMap<string, TenantKey>): TenantKey[] {
  const seen = new Set([tenantKey.id]);
  const walk = (id: string | null, step: (key: TenantKey) => string | null) => {
    const found: TenantKey[] = [];
    for (let key = id ? byId.get(id) : undefined; key && !seen.has(key.id); key = byId.get(step(key) ?? '')) {
      seen.add(key.id);
      found.push(key);
    }
    return found;
  };
  const before = walk(tenantKey.rotatedFrom, (key) => key.rotatedFrom).reverse();
  const after = walk(tenantKey.rotatedTo, (key) => key.rotatedTo);
  return [...before, tenantKey, ...after];
}
