import { X509Certificate } from 'node:crypto';
import type { Type } from '@nestjs/common';
import { ValidationFailedError } from '../common/domain-error';
import { createValidationPipe } from '../common/validation';
import { algorithmSpec, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../crypto/algorithms';
import { fromFusionAuthAlgorithm } from './fusionauth-key';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The validation of every body, applied to a request once translated: /key's rules, word for word. */
const validation = createValidationPipe();

export async function validated<T>(dto: Type<T>, body: Record<string, unknown>): Promise<T> {
  return (await validation.transform(definedOnly(body), { type: 'body', metatype: dto })) as T;
}

/**
 * FusionAuth's generate as /key's: its algorithm names, and a self-signed certificate for every key that can have
 * one, as FusionAuth makes (until `expirationInstant`, else a year).
 */
export function generateRequest(key: Record<string, unknown>): Record<string, unknown> {
  const algorithm = fromFusionAuthAlgorithm(key.algorithm);
  const certifiable = SIGNING_ALGORITHMS.includes(algorithm as SigningAlgorithm) && algorithmSpec(algorithm as SigningAlgorithm).webCrypto !== null;
  const expiration = key.expirationInstant;
  return {
    name: key.name,
    algorithm,
    length: key.length,
    issuer: key.issuer,
    certificate: certifiable || undefined,
    certificateValidityDays: typeof expiration === 'number' ? Math.ceil((expiration - Date.now()) / DAY_MS) : expiration,
  };
}

/**
 * FusionAuth's import as /key's: its algorithm names, its HMAC secrets in standard base64, and a certificate's public
 * key (that must be the key's, if a key is sent too).
 */
export function importRequest(key: Record<string, unknown>): Record<string, unknown> {
  return {
    name: key.name,
    algorithm: fromFusionAuthAlgorithm(key.algorithm),
    issuer: key.issuer,
    publicKey: key.certificate === undefined || key.certificate === null ? key.publicKey : certifiedPublicKey(key.certificate, key.publicKey),
    privateKey: key.privateKey,
    secret:
      typeof key.secret === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(key.secret)
        ? Buffer.from(key.secret, 'base64').toString('base64url')
        : key.secret,
    kid: key.kid,
    // Kept as the key's certificate (published in x5c), as FusionAuth keeps it.
    certificateChain: key.certificate === undefined || key.certificate === null ? undefined : [key.certificate],
  };
}

/**
 * The key a certificate certifies, when the import sends no public key: its SPKI PEM. That the certificate holds the
 * key sent beside it is the service's check of the certificate (certifiedKey), not repeated here.
 */
function certifiedPublicKey(certificate: unknown, publicKey: unknown): unknown {
  if (publicKey !== undefined && publicKey !== null) return publicKey;
  try {
    return new X509Certificate(certificate as string).publicKey.export({ type: 'spki', format: 'pem' });
  } catch {
    throw new ValidationFailedError([{ field: 'certificate', message: 'certificate must be an X.509 certificate, PEM' }]);
  }
}

function definedOnly(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}
