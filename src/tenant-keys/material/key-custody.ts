import { Inject, Injectable } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import { ValidationFailedError } from '../../common/domain-error';
import type { SigningKeySpec } from '../../crypto/algorithms';
import { describePublicKey } from '../../crypto/signing-keys';
import { HSM, HsmUnavailableError, type Pkcs11Token } from '../../hsm/pkcs11-token';
import type { TenantKeyEntity } from '../entities/tenant-key.entity';
import type { KeyMaterial } from './key-material';

/** What the token calls a key pair: tenant and key id, so that two tenants' keys of one id never meet. */
export function hsmKeyLabel(tenantId: string, keyId: string): string {
  return `tenant-key:${tenantId}:${keyId}`;
}

/**
 * Keys in `custody: "hsm"`: made, used and destroyed in the PKCS#11 token; the row keeps their public key and label.
 * Software keys pass through (their material is sealed in the row).
 */
@Injectable()
export class KeyCustody {
  constructor(@Inject(HSM) private readonly hsm: Pkcs11Token | null) {}

  /** 400s, naming the field, for a key an HSM cannot hold here. */
  assertHsmCanHold(spec: SigningKeySpec, certificate: boolean): void {
    const refuse = (field: string, message: string) => {
      throw new ValidationFailedError([{ field, message }]);
    };
    if (!this.hsm) refuse('custody', 'custody "hsm" needs an HSM, and none is configured (PKCS11_MODULE, PKCS11_TOKEN_LABEL, PKCS11_PIN)');
    if (spec.type === 'HMAC') refuse('custody', 'custody "hsm" is for RS*, PS*, ES* and EdDSA keys');
    if (spec.type === 'OKP' && !this.hsm!.supportsEdDSA)
      refuse('custody', 'this HSM does not make Ed25519 keys (no CKM_EC_EDWARDS_KEY_PAIR_GEN): use ES256 or RS256');
    if (certificate) refuse('certificate', 'certificates are not available for keys in custody "hsm"');
  }

  /** A key pair made in the token; its public forms for the row. */
  async generate(tenantId: string, id: string, spec: SigningKeySpec): Promise<KeyMaterial> {
    const label = hsmKeyLabel(tenantId, id);
    const publicKey = await this.token().generateKeyPair(spec, label);
    const { publicKeyPem, jwk, kid } = await describePublicKey(publicKey, spec.algorithm);
    return {
      kid,
      publicKeyPem,
      publicJwk: jwk,
      privateKeySealed: null,
      certificatePem: null,
      certificateExpiresAt: null,
      custody: 'hsm',
      hsmLabel: label,
    };
  }

  /** A compact JWS signed in the token (ECDSA already as r || s), the same as `jose` would make with the key. */
  async signCompact(key: TenantKeyEntity, header: Record<string, unknown>, claims: JWTPayload): Promise<string> {
    const input = `${base64url(header)}.${base64url(claims)}`;
    const signature = await this.token().sign(key.algorithm, key.hsmLabel!, Buffer.from(input));
    return `${input}.${signature.toString('base64url')}`;
  }

  /** Destroys an HSM key's objects in the token (before its row's deletion commits: a failure keeps the row). */
  async destroy(key: Pick<TenantKeyEntity, 'custody' | 'hsmLabel'>): Promise<void> {
    if (key.custody === 'hsm') await this.token().destroy(key.hsmLabel!);
  }

  /** Destroys what `generate` made for a key that was not stored after all; never throws. */
  async discard(material: KeyMaterial): Promise<void> {
    await this.destroy(material).catch(() => undefined);
  }

  private token(): Pkcs11Token {
    if (!this.hsm) throw new HsmUnavailableError('This key is held in an HSM, and none is configured');
    return this.hsm;
  }
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
