import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ValidationFailedError } from '../common/domain-error';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { isUniqueViolation } from '../database/database-errors';
import { seal, tenantKeyAssociatedData } from '../crypto/sealing';
import { describePublicKey, exportPrivateKeyDer, generateSigningKey, signingKeySpec } from '../crypto/signing-keys';
import type { GenerateKeyDto } from './dto/generate-key.dto';
import { toTenantKeyView, type TenantKeyView } from './dto/tenant-key.view';
import { KeyIdTakenError, KeyNotFoundError } from './key-errors';
import { TenantKeysRepository } from './tenant-keys.repository';

@Injectable()
export class TenantKeysService {
  constructor(
    private readonly keys: TenantKeysRepository,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async listKeys(tenantId: string): Promise<TenantKeyView[]> {
    return (await this.keys.listByTenant(tenantId)).map(toTenantKeyView);
  }

  async getKey(tenantId: string, id: string): Promise<TenantKeyView> {
    const key = await this.keys.getById(tenantId, id);
    if (!key) throw new KeyNotFoundError();
    return toTenantKeyView(key);
  }

  async renameKey(tenantId: string, id: string, name: string): Promise<TenantKeyView> {
    const key = await this.keys.rename(tenantId, id, name);
    if (!key) throw new KeyNotFoundError();
    return toTenantKeyView(key);
  }

  async deleteKey(tenantId: string, id: string): Promise<{ id: string }> {
    if (!(await this.keys.delete(tenantId, id))) throw new KeyNotFoundError();
    return { id };
  }

  /** `pathId` comes from `POST /key/generate/:id`; the body's `uuid` means the same and must agree with it. */
  async generateKey(tenantId: string, request: GenerateKeyDto, pathId?: string): Promise<TenantKeyView> {
    const bodyId = request.uuid?.toLowerCase();
    if (pathId && bodyId && pathId !== bodyId) {
      throw new ValidationFailedError([{ field: 'uuid', message: 'uuid must match the id in the path' }]);
    }
    const id = pathId ?? bodyId ?? randomUUID();
    // Checked first so that a taken id does not cost a key generation; the primary key still decides races.
    if (await this.keys.exists(tenantId, id)) throw new KeyIdTakenError();

    const spec = signingKeySpec(request.algorithm, request.length);
    const { publicKey, privateKey } = await generateSigningKey(spec);
    const { publicKeyPem, jwk, kid } = await describePublicKey(publicKey, spec.algorithm);
    const privateKeySealed = seal(
      this.config.keyEncryptionKey,
      exportPrivateKeyDer(privateKey),
      tenantKeyAssociatedData(tenantId, id),
    );
    try {
      const key = await this.keys.insert({
        tenantId,
        id,
        name: request.name,
        algorithm: spec.algorithm,
        type: spec.type,
        curve: spec.curve,
        length: spec.length,
        issuer: request.issuer ?? null,
        kid,
        publicKeyPem,
        publicJwk: jwk,
        privateKeySealed,
      });
      return toTenantKeyView(key);
    } catch (error) {
      if (isUniqueViolation(error)) throw new KeyIdTakenError();
      throw error;
    }
  }
}
