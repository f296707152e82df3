import { Injectable } from '@nestjs/common';
import type { SigningAlgorithm } from '../crypto/algorithms';
import { TenantKeysRepository } from './tenant-keys.repository';

/** A tenant's public key that still verifies, as the access-token verifier needs it. */
export interface VerifyingKey {
  tenantId: string;
  algorithm: SigningAlgorithm;
  publicKeyPem: string;
}

/**
 * The one thing the tenant-key feature tells the rest of the app: the asymmetric key with this kid and issuer
 * that still verifies (next, active, or retiring and not yet past retireAt), of whichever tenant, for `/keys` tokens.
 */
@Injectable()
export class TrustedKeys {
  constructor(private readonly keys: TenantKeysRepository) {}

  async verifyingKey(kid: string, issuer: string): Promise<VerifyingKey | undefined> {
    const [key] = await this.keys.findTrustedByKidAndIssuer(kid, issuer);
    return key && key.publicKeyPem ? { tenantId: key.tenantId, algorithm: key.algorithm, publicKeyPem: key.publicKeyPem } : undefined;
  }
}
