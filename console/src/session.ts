import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Principal } from './api';
import type { Operation } from './operations';

/** Who is signed in (memory only, like the credentials): the calling key's tenant, scopes and signing keys. */
export interface Session {
  principal: Principal;
  signOut: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

/**
 * Why the signed-in key may not call this operation (for a sign, with this key id or alias), or undefined if it
 * may: what the console shows beside a greyed-out control. The service still decides; its 403 is shown as it comes.
 */
export function missingRight(principal: Principal, operation: Operation, signKey?: { id: string; alias: string | null }): string | undefined {
  if (operation.scope === 'public' || operation.scope === 'any') return undefined;
  if (!principal.scopes.includes(operation.scope)) return `Needs the scope ${operation.scope}`;
  if (signKey && principal.signKeys && !principal.signKeys.some((name) => name === signKey.id || name === signKey.alias)) {
    return 'This API key may not sign with this key';
  }
  return undefined;
}

/** The reason the current key may not call `operation`, or undefined. */
export function useMissingRight(operation: Operation, signKey?: { id: string; alias: string | null }): string | undefined {
  return missingRight(useSession().principal, operation, signKey);
}
