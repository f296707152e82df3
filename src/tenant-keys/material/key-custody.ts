import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import { ValidationFailedError } from '../../common/domain-error';
import type { SigningKeySpec } from '../../crypto/algorithms';
import { describePublicKey } from '../../crypto/signing-keys';
import { HsmUnavailableError } from '../../hsm/hsm-errors';
import { HSM, type Pkcs11Token } from '../../hsm/pkcs11-token';
import type { Change } from '../../changes/unit-of-work';
import type { TenantKeyEntity } from '../entities/tenant-key.entity';
import type { KeyMaterial } from './key-material';

/**
 * What the token calls a key pair: tenant, key id, and a nonce of this generation, so that two tenants' keys of one
 * id never meet, and neither do two attempts at one id (a retried request whose loser cleans up its own pair only).
 */
function hsmKeyLabel(tenantId: string, keyId: string): string {
  return `${HSM_LABEL_PREFIX}${tenantId}:${keyId}:${randomBytes(8).toString('hex')}`;
}
const HSM_LABEL_PREFIX = 'tenant-key:';

/**
 * Keys in `custody: "hsm"`: made, used and destroyed in the PKCS#11 token; the row keeps their public key and label.
 * Software keys pass through (their material is sealed in the row).
 */
@Injectable()
export class KeyCustody {
  private readonly logger = new Logger(KeyCustody.name);

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
    if (spec.type === 'AKP') {
      // The service drives no token's ML-DSA yet (SoftHSM 2.6 has none to test it on): the answer says which case this is.
      refuse(
        'custody',
        this.hsm!.supportsMlDsa
          ? `custody "hsm" does not hold ${spec.algorithm} keys yet: use custody "software"`
          : `this HSM does not make ${spec.algorithm} keys (no CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA): use custody "software"`,
      );
    }
    if (certificate) refuse('certificate', 'certificates are not available for keys in custody "hsm"');
  }

  /** A key pair made in the token; its public forms for the row. */
  async generate(tenantId: string, id: string, spec: SigningKeySpec): Promise<KeyMaterial> {
    const label = hsmKeyLabel(tenantId, id);
    const publicKey = await this.token().generateKeyPair(spec, label);
    const { publicKeyPem, jwk, kid } = await describePublicKey(publicKey, spec.algorithm);
    return {
      kid,
      thumbprint: kid,
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

  /**
   * Destroys an HSM key's objects in the token once the change that deletes its row commits: a rollback keeps both.
   * A failure leaves an orphan in the token, logged with its label.
   */
  destroyAfterCommit(change: Change, key: Pick<TenantKeyEntity, 'custody' | 'hsmLabel'>): void {
    if (key.custody === 'hsm') change.afterCommit(() => this.discardLabel(key.hsmLabel!));
  }

  /**
   * Key pairs in the token that no key row names (a process that died between making a pair and storing its row, a
   * destruction that failed): the labels seen orphaned twice, `graceSeconds` apart, so that a pair whose row is about
   * to be committed is not taken for one. With `destroy`, they are destroyed.
   */
  async orphans(stored: () => Promise<Set<string>>, { graceSeconds, destroy }: { graceSeconds: number; destroy: boolean }): Promise<string[]> {
    const unclaimed = async () => {
      const rows = await stored();
      return (await this.token().labels(HSM_LABEL_PREFIX)).filter((label) => !rows.has(label));
    };
    const first = await unclaimed();
    if (first.length > 0 && graceSeconds > 0) await new Promise((resolve) => setTimeout(resolve, graceSeconds * 1000));
    const orphans = first.length === 0 ? [] : (await unclaimed()).filter((label) => first.includes(label));
    if (destroy) for (const label of orphans) await this.token().destroy(label);
    return orphans;
  }

  /** Destroys what `generate` made for a key that was not stored after all. */
  async discard(material: KeyMaterial): Promise<void> {
    if (material.custody === 'hsm') await this.discardLabel(material.hsmLabel!);
  }

  private async discardLabel(label: string): Promise<void> {
    try {
      await this.token().destroy(label);
    } catch (error) {
      this.logger.warn(
        `The HSM objects labelled ${label} belong to no key and could not be destroyed (${(error as Error).message}): destroy them by hand`,
      );
    }
  }

  private token(): Pkcs11Token {
    if (!this.hsm) throw new HsmUnavailableError('This key is held in an HSM, and none is configured');
    return this.hsm;
  }
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
