import { createPublicKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditTrail, type AuditEvent, type TenantActor } from '../../audit/audit-trail';
import { ValidationFailedError } from '../../common/domain-error';
import { UnitOfWork } from '../../changes/unit-of-work';
import { APP_CONFIG, type RuntimeConfig } from '../../config/config';
import { algorithmSpec } from '../../crypto/algorithms';
import { assertRuntimeSupports } from '../../crypto/ml-dsa-runtime';
import { checkCertificateChain, createCertificateSigningRequest, leafCertificateExpiry } from '../../crypto/certificates';
import type { AttachCertificateDto, CertificateRequestDto, CertificateSigningRequestView } from '../dto/certificate-requests.dto';
import { toTenantKeyView, type TenantKeyView } from '../dto/tenant-key.view';
import { effectiveStatus, type TenantKeyEntity } from '../entities/tenant-key.entity';
import { KeyNotActiveError, KeyNotFoundError } from '../key-errors';
import { openSigningKey } from '../material/key-material';
import { TenantKeysRepository } from '../tenant-keys.repository';
import { SecretSealer } from '../../sealing/secret-sealer';
import { assertMaySignWith, type SignGrant } from '../signing/sign-grant';

/** Certificates signed by a CA for a key: the request to send (CSR) and the chain that comes back. */
@Injectable()
export class KeyCertificatesService {
  constructor(
    private readonly keys: TenantKeysRepository,
    private readonly audit: AuditTrail,
    private readonly work: UnitOfWork,
    private readonly sealer: SecretSealer,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  /**
   * A PKCS#10 request for the key, signed by it: only a key that signs or is about to (active or next), and only one
   * the calling API key may sign with. Nothing is stored; the trail records it.
   */
  async createSigningRequest(
    actor: TenantActor,
    signKeys: SignGrant,
    id: string,
    subject: CertificateRequestDto,
  ): Promise<CertificateSigningRequestView> {
    const event: AuditEvent = { actor, action: 'key.csr', keyId: id, detail: { commonName: subject.commonName } };
    return this.audit.attempt(event, async () => {
      const key = await this.certifiableKey(actor.tenantId, id);
      const status = effectiveStatus(key);
      if (status !== 'active' && status !== 'next') throw new KeyNotActiveError(`Key is ${status} and signs no certificate request`);
      assertMaySignWith(signKeys, key);
      const privateKey = await openSigningKey(this.sealer, key);
      if (!privateKey) throw new KeyNotActiveError('Key has no private key and cannot sign a certificate request');
      const csr = await createCertificateSigningRequest(key.algorithm, { publicKey: createPublicKey(privateKey), privateKey }, subject);
      await this.work.run((change) => change.audit(event));
      return { csr };
    });
  }

  /** Attaches a CA-issued chain (leaf first) once it is checked: the JWKS then carries the whole chain in x5c. */
  async attachChain(actor: TenantActor, id: string, request: AttachCertificateDto): Promise<TenantKeyView> {
    const event: AuditEvent = { actor, action: 'key.certificate', keyId: id, detail: { certificates: request.certificateChain.length } };
    return this.audit.attempt(event, async () => {
      const key = await this.certifiableKey(actor.tenantId, id);
      const certificate = certifiedKey(request.certificateChain, key);
      const updated = await this.work.run(async (change) => {
        // A new certificate is announced again when it nears its own expiry.
        const stored = await this.keys.update(change.manager, actor.tenantId, id, { ...certificate, certificateWarnedDays: null });
        if (!stored) throw new KeyNotFoundError();
        change.audit(event);
        change.announce(actor.tenantId);
        return stored;
      });
      return toTenantKeyView(updated);
    });
  }

  private async certifiableKey(tenantId: string, id: string): Promise<TenantKeyEntity> {
    const key = await this.keys.getById(tenantId, id);
    if (!key) throw new KeyNotFoundError();
    if (!algorithmSpec(key.algorithm).webCrypto || !key.publicKeyPem) {
      throw new ValidationFailedError([{ field: 'id', message: 'certificates are available for RSA, EC, EdDSA and ML-DSA keys only' }]);
    }
    assertRuntimeSupports(key.algorithm, 'id');
    if (key.custody === 'hsm')
      throw new ValidationFailedError([{ field: 'id', message: 'certificates are not available for keys in custody "hsm"' }]);
    return key;
  }
}

/**
 * A key's certificate from a CA-issued chain (leaf first), once checked against the key (attach, import): the PEMs
 * as stored and the leaf's expiry. 400 for a key that cannot have one (HMAC) or a chain that does not hold.
 */
export function certifiedKey(
  chain: readonly string[],
  key: Pick<TenantKeyEntity, 'algorithm' | 'publicKeyPem'>,
): Pick<TenantKeyEntity, 'certificatePem' | 'certificateExpiresAt'> {
  if (!algorithmSpec(key.algorithm).webCrypto || !key.publicKeyPem) {
    throw new ValidationFailedError([{ field: 'certificateChain', message: 'certificates are available for RSA, EC, EdDSA and ML-DSA keys only' }]);
  }
  assertRuntimeSupports(key.algorithm, 'certificateChain');
  checkCertificateChain(chain, createPublicKey(key.publicKeyPem));
  const certificatePem = chain.map((pem) => `${pem.trim()}\n`).join('');
  return { certificatePem, certificateExpiresAt: leafCertificateExpiry(certificatePem) };
}
