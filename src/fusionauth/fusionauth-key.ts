import { createHash, X509Certificate } from 'node:crypto';
import type { TenantKeyView } from '../tenant-keys/dto/tenant-key.view';

/**
 * FusionAuth's `Key`, as its API answers it (`@fusionauth/typescript-client`'s `Key`): instants in epoch milliseconds,
 * members without a value left out (as FusionAuth's JSON writer does), and never `privateKey` nor `secret`.
 */
export interface FusionAuthKey {
  id: string;
  name: string;
  algorithm: string;
  type: string;
  length: number;
  kid: string;
  hasPrivateKey: boolean;
  issuer?: string;
  publicKey?: string;
  certificate?: string;
  certificateInformation?: FusionAuthCertificateInformation;
  expirationInstant?: number;
  insertInstant: number;
  lastUpdateInstant: number;
}

export interface FusionAuthCertificateInformation {
  issuer: string;
  subject: string;
  serialNumber: string;
  validFrom: number;
  validTo: number;
  md5Fingerprint: string;
  sha1Fingerprint: string;
  sha256Fingerprint: string;
  sha1Thumbprint: string;
  sha256Thumbprint: string;
}

/** FusionAuth calls EdDSA over Ed25519 by its curve; every other algorithm has the same name in both. */
const FUSIONAUTH_NAMES: Record<string, string> = { EdDSA: 'Ed25519' };
const OUR_NAMES: Record<string, string> = { Ed25519: 'EdDSA' };

export function toFusionAuthAlgorithm(algorithm: string): string {
  return FUSIONAUTH_NAMES[algorithm] ?? algorithm;
}

/** FusionAuth's name of an algorithm as ours; anything else as sent, for validation to judge. */
export function fromFusionAuthAlgorithm(algorithm: unknown): unknown {
  return typeof algorithm === 'string' ? (OUR_NAMES[algorithm] ?? algorithm) : algorithm;
}

export function toFusionAuthKey(view: TenantKeyView): FusionAuthKey {
  const certificate = view.certificate === null ? undefined : leafCertificate(view.certificate);
  return withoutAbsent({
    id: view.id,
    name: view.name,
    algorithm: toFusionAuthAlgorithm(view.algorithm),
    type: view.type,
    length: view.length,
    kid: view.kid,
    hasPrivateKey: view.hasPrivateKey,
    issuer: view.issuer ?? undefined,
    publicKey: view.publicKey ?? undefined,
    certificate,
    certificateInformation: certificate === undefined ? undefined : certificateInformation(certificate),
    expirationInstant: view.certificateExpiresAt === null ? undefined : Date.parse(view.certificateExpiresAt),
    insertInstant: Date.parse(view.createdAt),
    lastUpdateInstant: Date.parse(view.updatedAt),
  });
}

/** FusionAuth's `certificate` is one certificate: of an attached chain, its leaf (the first). */
function leafCertificate(chain: string): string {
  return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(chain)?.[0] ?? chain;
}

function certificateInformation(pem: string): FusionAuthCertificateInformation {
  const certificate = new X509Certificate(pem);
  const digest = (algorithm: string) => createHash(algorithm).update(certificate.raw);
  const fingerprint = (algorithm: string) =>
    digest(algorithm)
      .digest('hex')
      .toUpperCase()
      .replace(/(..)(?!$)/g, '$1:');
  return {
    issuer: certificate.issuer.replaceAll('\n', ', '),
    subject: certificate.subject.replaceAll('\n', ', '),
    serialNumber: certificate.serialNumber,
    validFrom: Date.parse(certificate.validFrom),
    validTo: Date.parse(certificate.validTo),
    md5Fingerprint: fingerprint('md5'),
    sha1Fingerprint: fingerprint('sha1'),
    sha256Fingerprint: fingerprint('sha256'),
    // As the JWK's x5t and x5t#S256.
    sha1Thumbprint: digest('sha1').digest('base64url'),
    sha256Thumbprint: digest('sha256').digest('base64url'),
  };
}

function withoutAbsent<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

/** FusionAuth's key search criteria (`KeySearchCriteria`), as validated (FusionAuthKeySearchDto). */
export interface KeySearch {
  algorithm?: string;
  name?: string;
  type?: string;
  numberOfResults: number;
  startRow: number;
  orderBy: string;
}

/** What FusionAuth's key search may order by, each as a comparable value of a key. */
const ORDERINGS: Record<string, (key: FusionAuthKey) => string | number> = {
  algorithm: (key) => key.algorithm,
  expiration: (key) => key.expirationInstant ?? Infinity,
  id: (key) => key.id,
  insertInstant: (key) => key.insertInstant,
  name: (key) => key.name.toLowerCase(),
  type: (key) => key.type,
};
export const ORDER_BY = new RegExp(`^(${Object.keys(ORDERINGS).join('|')})(?:\\s+(ASC|DESC))?$`, 'i');

/**
 * FusionAuth's key search over a tenant's keys (at most MAX_KEYS_PER_TENANT of them, so filtered here): the name
 * matched without regard to case, `*` standing for any characters (a name without one matches within); algorithm and
 * type exactly, FusionAuth's names.
 */
export function searchKeys(keys: FusionAuthKey[], search: KeySearch): { keys: FusionAuthKey[]; total: number } {
  const name = search.name === undefined ? undefined : nameMatcher(search.name);
  const found = keys.filter(
    (key) =>
      (search.algorithm === undefined || key.algorithm === search.algorithm) &&
      (search.type === undefined || key.type === search.type) &&
      (name === undefined || name(key.name)),
  );
  const [, field, direction] = ORDER_BY.exec(search.orderBy)!;
  const valueOf = Object.entries(ORDERINGS).find(([known]) => known.toLowerCase() === field.toLowerCase())![1];
  const sign = direction?.toUpperCase() === 'DESC' ? -1 : 1;
  found.sort((a, b) => {
    const [x, y] = [valueOf(a), valueOf(b)];
    return sign * (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  });
  return { keys: found.slice(search.startRow, search.startRow + search.numberOfResults), total: found.length };
}

/**
 * FusionAuth's name search: with `*` a wildcard pattern over the whole name, without one a substring; case-insensitive.
 * Matched in linear time by the greedy glob algorithm (no regular expression: a pattern of many stars would backtrack
 * for seconds on the one event loop every tenant shares).
 */
export function nameMatcher(pattern: string): (name: string) => boolean {
  const wanted = pattern.toLowerCase();
  if (!wanted.includes('*')) return (name) => name.toLowerCase().includes(wanted);
  return (name) => globMatches(wanted, name.toLowerCase());
}

/** Whether `text` matches `pattern` whole, `*` standing for any run of characters: O(pattern × text) at worst, no backtracking blow-up. */
function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
