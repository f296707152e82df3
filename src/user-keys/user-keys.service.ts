import { randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import type { UserPrincipal } from '../common/request-context';
import { ValidationFailedError } from '../common/domain-error';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { UserKeyLimitError, UserKeyNotFoundError } from './user-key-errors';
import { formatUserPrivateKey, generateUserKeyPair, parseUserPublicKey, userKeyKind, type UserKeyFormat } from '../crypto/user-key-formats';
import type { ImportUserKeyDto, RegisterUserKeyDto } from './dto/register-user-key.dto';
import { toUserKeyView, type UserKeyView } from './dto/user-key.view';
import { UserKeysRepository } from './user-keys.repository';
import { AuditTrail, type AuditActor, type AuditEvent } from '../audit/audit-trail';
import { UnitOfWork } from '../changes/unit-of-work';

@Injectable()
export class UserKeysService {
  constructor(
    private readonly keys: UserKeysRepository,
    private readonly work: UnitOfWork,
    private readonly audit: AuditTrail,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  async listKeys(user: UserPrincipal, format: UserKeyFormat): Promise<UserKeyView[]> {
    return (await this.keys.listByOwner(user.issuer, user.userId)).map((key) => toUserKeyView(key, format));
  }

  /** Only the public key is stored: the private key lives in this response and nowhere else. */
  async registerKey(user: UserPrincipal, actor: AuditActor, request: RegisterUserKeyDto): Promise<UserKeyView & { privateKey: string | JWK }> {
    const event = { actor, action: 'user_key.register' as const, keyId: randomUUID(), detail: { keyType: request.keyType } };
    return this.audit.attempt(event, async () => {
      if (request.curve && request.keyType !== 'ecdsa') {
        throw new ValidationFailedError([{ field: 'curve', message: `curve applies to ecdsa keys only, not ${request.keyType}` }]);
      }
      if (request.parameterSet && request.keyType !== 'ml-dsa') {
        throw new ValidationFailedError([{ field: 'parameterSet', message: `parameterSet applies to ml-dsa keys only, not ${request.keyType}` }]);
      }
      // A tenant's users generate in the tenant's turn (so that minting users escapes no bound), the provider's each in their own.
      const generationFor = user.tenantId ? { tenantId: user.tenantId } : { oauthUser: { issuer: user.issuer, userId: user.userId } };
      const { publicKey, privateKey } = await generateUserKeyPair(generationFor, request.keyType, request.curve, request.parameterSet);
      const view = await this.store(user, event, request.name, publicKey, request.format);
      return { ...view, privateKey: formatUserPrivateKey(privateKey, request.format) };
    });
  }

  async importKey(user: UserPrincipal, actor: AuditActor, request: ImportUserKeyDto): Promise<UserKeyView> {
    const event = { actor, action: 'user_key.import' as const, keyId: randomUUID() };
    return this.audit.attempt(event, async () => {
      return this.store(user, event, request.name, parseUserPublicKey(request), request.format);
    });
  }

  async deleteKey(user: UserPrincipal, actor: AuditActor, id: string): Promise<{ id: string }> {
    const event: AuditEvent = { actor, action: 'user_key.delete', keyId: id };
    return this.audit.attempt(event, () =>
      this.work.run(async (change) => {
        if (!(await this.keys.delete(change.manager, user.issuer, user.userId, id))) throw new UserKeyNotFoundError();
        change.audit(event);
        return { id };
      }),
    );
  }

  private async store(
    user: UserPrincipal,
    event: AuditEvent & { keyId: string },
    name: string,
    publicKey: KeyObject,
    format: UserKeyFormat,
  ): Promise<UserKeyView> {
    const { keyType, curve } = userKeyKind(publicKey);
    const key = await this.work.run(async (change) => {
      const { manager } = change;
      const { keysPerUser, userKeysPerTenant } = this.config.limits;
      // A tenant's users are whoever its keys vouch for: together they hold a bounded share (the provider's users do not).
      if (user.tenantId && (await this.keys.countIssuerLocked(manager, user.issuer)) >= userKeysPerTenant) {
        throw new UserKeyLimitError('MAX_USER_KEYS_PER_TENANT', userKeysPerTenant);
      }
      if ((await this.keys.countLocked(manager, user.issuer, user.userId)) >= keysPerUser)
        throw new UserKeyLimitError('MAX_KEYS_PER_USER', keysPerUser);
      const inserted = await this.keys.insert(manager, {
        id: event.keyId,
        issuer: user.issuer,
        ownerId: user.userId,
        name,
        keyType,
        curve,
        publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
      });
      change.audit(event);
      return inserted;
    });
    return toUserKeyView(key, format);
  }
}
