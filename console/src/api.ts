import { OPERATIONS, urlOf, type Operation } from './operations';
import type { ApiKey } from './views';

/**
 * The one way the console talks to the service. The credentials live in this module's memory only: never in
 * localStorage, sessionStorage, cookies, IndexedDB or the Cache API, so a reload (or closing the tab) forgets them.
 */
interface Credentials {
  tenantId: string;
  apiKey: string;
}
let credentials: Credentials | undefined;
/** Whether the service took the credentials at sign-in (a refusal after that ends the session). */
let signedIn = false;
/** Told when the service refuses the signed-in key (401: revoked, expired): the console signs out. */
let refused: ((message: string) => void) | undefined;

export interface FieldError {
  field: string;
  message: string;
}

export interface PageMeta {
  limit: number;
  nextCursor: string | null;
}

/** What the service answered, as it came: the envelope's members, or the raw body of a route outside it (the JWKS). */
export interface Answer<T> {
  ok: boolean;
  status: number;
  message: string;
  code?: string;
  data: T | null;
  errors?: FieldError[];
  meta?: PageMeta;
  headers: Headers;
  body: unknown;
}

/** The calling API key, from `GET /api-keys/current`: its view and its tenant. */
export type Principal = Omit<ApiKey, 'revokedAt'> & { tenantId: string };

export interface Call {
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

/** Remembers the credentials (in memory) and asks who they are; forgets them again if the service refuses them. */
export async function signIn(tenantId: string, apiKey: string): Promise<Answer<Principal>> {
  credentials = { tenantId: tenantId.trim(), apiKey: apiKey.trim() };
  const answer = await call<Principal>(OPERATIONS.whoAmI);
  signedIn = answer.ok;
  if (!answer.ok) credentials = undefined;
  return answer;
}

export function signOut(): void {
  credentials = undefined;
  signedIn = false;
}

/** `listener` hears the message of a 401 to the signed-in key, after which the key is forgotten; answers the unsubscribe. */
export function whenRefused(listener: (message: string) => void): () => void {
  refused = listener;
  return () => {
    if (refused === listener) refused = undefined;
  };
}

export function currentTenantId(): string {
  return credentials?.tenantId ?? '';
}

export async function call<T>(operation: Operation, { params = {}, query = {}, body }: Call = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (operation.scope !== 'public' && credentials) {
    headers.authorization = `Basic ${credentials.apiKey}`;
    headers['x-stencil-tenantid'] = credentials.tenantId;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(urlOf(operation, { tenantId: currentTenantId(), ...params }, query), {
      method: operation.method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    return { ok: false, status: 0, message: 'The service did not answer', data: null, headers: new Headers(), body: null };
  }
  const parsed = parseBody(await response.text());
  const envelope = isEnvelope(parsed) ? parsed : undefined;
  if (response.status === 401 && operation.scope !== 'public' && signedIn) {
    signOut();
    refused?.(envelope?.message ?? 'The service refused the API key');
  }
  return {
    ok: response.ok,
    status: response.status,
    message: envelope?.message ?? `${response.status} ${response.statusText}`,
    code: envelope?.code,
    data: (envelope ? envelope.data : null) as T | null,
    errors: envelope?.errors,
    meta: envelope?.meta,
    headers: response.headers,
    body: parsed,
  };
}

/** JSON as JSON, anything else as the text it is, nothing as null. */
function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

interface Envelope {
  success: boolean;
  message: string;
  code?: string;
  data: unknown;
  errors?: FieldError[];
  meta?: PageMeta;
}

function isEnvelope(value: unknown): value is Envelope {
  return typeof value === 'object' && value !== null && 'success' in value && 'message' in value;
}
