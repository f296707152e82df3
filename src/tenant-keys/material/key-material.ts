import type { KeyObject } from 'node:crypto';
import { createSelfSignedCertificate, leafCertificateExpiry } from '../../crypto/certificates';
import { tenantKeyAssociatedData } from '../../crypto/sealing';
import type { SecretSealer, SealedColumn } from '../../sealing/secret-sealer';
import { describePublicKey, exportPrivateMaterial, importPrivateMaterial, randomKid, type GeneratedKey } from '../../crypto/signing-keys';
import { type SigningAlgorithm } from '../../crypto/algorithms';
import { assertRuntimeSupports } from '../../crypto/ml-dsa-runtime';
import type { TenantKeyEntity } from '../entities/tenant-key.entity';

export type KeyMaterial = Pick<
  TenantKeyEntity,
  'kid' | 'thumbprint' | 'publicKeyPem' | 'publicJwk' | 'privateKeySealed' | 'certificatePem' | 'certificateExpiresAt' | 'custody' | 'hsmLabel'
>;

/** The private part (or HMAC secret) of each key, sealed to its row (tenant id, key id). */
export const TENANT_KEY_SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'tenant_keys', column: 'private_key_sealed', associatedData: tenantKeyAssociatedData },
];

/** What seals and opens a key's private part. */
type Sealer = Pick<SecretSealer, 'seal' | 'open'>;

/** What a software key's material is besides its key: sealed here, no certificate yet. */
const SOFTWARE = { custody: 'software', hsmLabel: null, certificatePem: null, certificateExpiresAt: null } as const;

/** Who a key's self-signed certificate names, and for how long it is valid. */
export interface CertificateSubject {
  subject: string;
  issuer: string | null;
  validityDays: number;
}

/** A new key's material from its pair: its private part sealed to its row (tenant id, key id), with a certificate if asked. */
export async function newKeyMaterial(
  sealer: Sealer,
  tenantId: string,
  id: string,
  algorithm: SigningAlgorithm,
  pair: GeneratedKey,
  certificate?: CertificateSubject,
): Promise<KeyMaterial> {
  const material = await sealKeyMaterial(sealer, tenantId, id, algorithm, pair);
  if (certificate && pair.publicKey) {
    material.certificatePem = await createSelfSignedCertificate({ algorithm, ...pair, publicKey: pair.publicKey, ...certificate });
    material.certificateExpiresAt = leafCertificateExpiry(material.certificatePem);
  }
  return material;
}

/**
 * The stored forms of a key: public PEM and JWK with their kid, and the private part (if any) sealed to its row. The
 * kid is the one given (an imported key keeping its own), else the RFC 7638 thumbprint (random for an HMAC secret).
 */
export async function sealKeyMaterial(
  sealer: Sealer,
  tenantId: string,
  id: string,
  algorithm: SigningAlgorithm,
  { publicKey, privateKey }: { publicKey?: KeyObject; privateKey?: KeyObject },
  kid?: string,
): Promise<KeyMaterial> {
  const privateKeySealed = privateKey ? await sealer.seal(exportPrivateMaterial(privateKey), tenantKeyAssociatedData(tenantId, id)) : null;
  if (!publicKey) return { ...SOFTWARE, kid: kid ?? randomKid(), thumbprint: null, publicKeyPem: null, publicJwk: null, privateKeySealed };
  const { publicKeyPem, jwk, kid: thumbprint } = await describePublicKey(publicKey, algorithm);
  return { ...SOFTWARE, kid: kid ?? thumbprint, thumbprint, publicKeyPem, publicJwk: { ...jwk, kid: kid ?? thumbprint }, privateKeySealed };
}

/** The stored private key (or HMAC secret), opened for signing; undefined for a public-only key. */
export async function openSigningKey(sealer: Sealer, key: TenantKeyEntity): Promise<KeyObject | undefined> {
  if (!key.privateKeySealed) return undefined;
  // An ML-DSA key stored by a newer Node, opened on one without ML-DSA: a 400 that says so, not a 500.
  assertRuntimeSupports(key.algorithm, 'id');
  const material = await sealer.open(key.privateKeySealed, tenantKeyAssociatedData(key.tenantId, key.id));
  return importPrivateMaterial(material, key.type);
}
