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
 * The one thing the tenant-key feature tells the rest of the app: which tenant's key minted a `/keys` token.
 */
@Injectable()
export class TrustedKeys {
  constructor(private readonly keys: TenantKeysRepository) {}

  /**
   * The keys with this kid and issuer that still verify and whose tenant holds the private part, of whichever
   * tenant: one tenant's key when exactly one tenant could have signed, else what the caller must refuse.
   */
  async mintingKeys(kid: string, issuer: string): Promise<VerifyingKey[]> {
    const keys = await this.keys.findMintingKeys(kid, issuer);
    return keys
      .filter((key) => key.publicKeyPem !== null)
      .map((key) => ({ tenantId: key.tenantId, algorithm: key.algorithm, publicKeyPem: key.publicKeyPem! }));
  }
}
