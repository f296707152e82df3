import type { JWK } from 'jose';
import { effectiveStatus, type KeyStatus, type TenantKeyEntity } from '../entities/tenant-key.entity';

/** The contract's key object. Built from an entity in this one place; it never carries private material. */
export interface TenantKeyView {
  id: string;
  name: string;
  algorithm: string;
  type: string;
  curve: string | null;
  length: number;
  hasPrivateKey: boolean;
  issuer: string | null;
  kid: string;
  publicKey: string | null;
  jwk: JWK | null;
  certificate: string | null;
  status: KeyStatus;
  retireAt: string | null;
  rotatedFrom: string | null;
  rotatedTo: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toTenantKeyView(key: TenantKeyEntity): TenantKeyView {
  return {
    id: key.id,
    name: key.name,
    algorithm: key.algorithm,
    type: key.type,
    curve: key.curve,
    length: key.length,
    hasPrivateKey: key.privateKeySealed !== null,
    issuer: key.issuer,
    kid: key.kid,
    publicKey: key.publicKeyPem,
    jwk: key.publicJwk,
    certificate: key.certificatePem,
    status: effectiveStatus(key),
    retireAt: key.retireAt?.toISOString() ?? null,
    rotatedFrom: key.rotatedFrom,
    rotatedTo: key.rotatedTo,
    createdAt: key.createdAt.toISOString(),
    updatedAt: key.updatedAt.toISOString(),
  };
}
