import { ApiProperty } from '@nestjs/swagger';
import type { JWK } from 'jose';
import { certificateJwkMembers } from '../../crypto/certificates';
import { SIGNING_ALGORITHMS } from '../../crypto/algorithms';
import {
  canSign,
  effectiveStatus,
  KEY_CUSTODIES,
  KEY_STATUSES,
  type KeyCustodyKind,
  type KeyStatus,
  type RotationPolicy,
  type TenantKeyEntity,
} from '../entities/tenant-key.entity';
import { RotationPolicyDto, SigningPolicyDto } from './key-lifecycle.dto';
import type { SigningPolicy } from '../signing/signing-policy';

/** The contract's key object. Built from an entity in this one place; it never carries private material. */
export class TenantKeyView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'tokens' })
  name: string;

  @ApiProperty({ enum: SIGNING_ALGORITHMS, example: 'ES256' })
  algorithm: string;

  @ApiProperty({ enum: ['RSA', 'EC', 'OKP', 'HMAC', 'AKP'], example: 'EC' })
  type: string;

  @ApiProperty({ type: String, nullable: true, example: 'P-256' })
  curve: string | null;

  @ApiProperty({ example: 256, description: 'Bits: RSA modulus, EC field, HMAC key' })
  length: number;

  @ApiProperty({ description: 'Whether the service holds the private key (or HMAC secret) and can sign; it is never returned' })
  hasPrivateKey: boolean;

  @ApiProperty({ enum: KEY_CUSTODIES, description: 'software: sealed in the database; hsm: made and kept in the PKCS#11 token, never extractable' })
  custody: KeyCustodyKind;

  @ApiProperty({ type: String, nullable: true, example: 'https://auth.example.com' })
  issuer: string | null;

  @ApiProperty({ description: 'The JWK `kid`: its RFC 7638 SHA-256 thumbprint, unless imported with a kid (random for an HMAC key without one)' })
  kid: string;

  @ApiProperty({ type: String, nullable: true, description: 'SPKI PEM; null for HMAC keys' })
  publicKey: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Public JWK with kid, alg, use, and with a certificate its x5c and x5t#S256, as in the JWKS; null for HMAC keys',
  })
  jwk: JWK | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'X.509 certificate, PEM: self-signed if asked for, or the CA-issued chain attached (leaf first)',
  })
  certificate: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: "When the leaf certificate expires; an expired one stops the key's signing",
  })
  certificateExpiresAt: string | null;

  @ApiProperty({ enum: KEY_STATUSES, description: 'next → active → retiring → retired; pending_deletion until deleted or cancelled' })
  status: KeyStatus;

  @ApiProperty({ type: String, nullable: true, example: 'login-tokens', description: 'The name that follows rotations' })
  alias: string | null;

  @ApiProperty({ type: RotationPolicyDto, nullable: true })
  rotationPolicy: RotationPolicy | null;

  @ApiProperty({ type: SigningPolicyDto, nullable: true })
  signingPolicy: SigningPolicy | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When an active key with a policy hands over to its successor' })
  nextRotationAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a next key starts signing' })
  activatesAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a key pending deletion is deleted' })
  deleteAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  retireAt: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  rotatedFrom: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  rotatedTo: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
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
    hasPrivateKey: canSign(key),
    custody: key.custody,
    issuer: key.issuer,
    kid: key.kid,
    publicKey: key.publicKeyPem,
    jwk: publishedJwk(key),
    certificate: key.certificatePem,
    certificateExpiresAt: key.certificateExpiresAt?.toISOString() ?? null,
    status: effectiveStatus(key),
    retireAt: key.retireAt?.toISOString() ?? null,
    alias: key.alias,
    rotationPolicy: key.rotationPolicy,
    signingPolicy: key.signingPolicy,
    nextRotationAt: key.nextRotationAt?.toISOString() ?? null,
    activatesAt: key.activatesAt?.toISOString() ?? null,
    deleteAt: key.deleteAt?.toISOString() ?? null,
    rotatedFrom: key.rotatedFrom,
    rotatedTo: key.rotatedTo,
    createdAt: key.createdAt.toISOString(),
    updatedAt: key.updatedAt.toISOString(),
  };
}

/** The key's public JWK as verifiers get it in the JWKS and callers in the key view: with its certificate, if any. */
export function publishedJwk(key: Pick<TenantKeyEntity, 'publicJwk' | 'certificatePem'>): JWK | null {
  if (!key.publicJwk || !key.certificatePem) return key.publicJwk;
  return { ...key.publicJwk, ...certificateJwkMembers(key.certificatePem) };
}
