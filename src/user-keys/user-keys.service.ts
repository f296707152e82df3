import { randomUUID, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import type { UserPrincipal } from '../auth/principals';
import { NotFoundError, ValidationFailedError } from '../common/domain-error';
import {
  formatUserPrivateKey, generateUserKeyPair, parseUserPublicKey, userKeyKind, UserKeyFormatError, type UserKeyFormat,
} from '../crypto/user-key-formats';
import type { ImportUserKeyDto, RegisterUserKeyDto } from './dto/register-user-key.dto';
import { toUserKeyView, type UserKeyView } from './dto/user-key.view';
import { UserKeysRepository } from './user-keys.repository';

@Injectable()
export class UserKeysService {
  constructor(private readonly keys: UserKeysRepository) {}

  async listKeys(user: UserPrincipal, format: UserKeyFormat): Promise<UserKeyView[]> {
    return (await this.keys.listByOwner(user.issuer, user.userId)).map((key) => toUserKeyView(key, format));
  }

  /** Only the public key is stored: the private key lives in this response and nowhere else. */
  async registerKey(user: UserPrincipal, request: RegisterUserKeyDto): Promise<UserKeyView & { privateKey: string | JWK }> {
    if (request.curve && request.keyType !== 'ecdsa') {
      throw new ValidationFailedError([{ field: 'curve', message: `curve applies to ecdsa keys only, not ${request.keyType}` }]);
    }
    const { publicKey, privateKey } = await generateUserKeyPair(request.keyType, request.curve);
    const view = await this.store(user, request.name, publicKey, request.format);
    return { ...view, privateKey: formatUserPrivateKey(privateKey, request.format) };
  }

  async importKey(user: UserPrincipal, request: ImportUserKeyDto): Promise<UserKeyView> {
    let publicKey: KeyObject;
    try {
      publicKey = parseUserPublicKey(request);
    } catch (error) {
      if (error instanceof UserKeyFormatError) throw new ValidationFailedError([{ field: error.field, message: error.message }]);
      throw error;
    }
    return this.store(user, request.name, publicKey, request.format);
  }

  async deleteKey(user: UserPrincipal, id: string): Promise<{ id: string }> {
    if (!(await this.keys.delete(user.issuer, user.userId, id))) throw new NotFoundError('USER_KEY_NOT_FOUND', 'Key not found');
    return { id };
  }

  private async store(user: UserPrincipal, name: string, publicKey: KeyObject, format: UserKeyFormat): Promise<UserKeyView> {
    const { keyType, curve } = userKeyKind(publicKey);
    const key = await this.keys.insert({
      id: randomUUID(),
      issuer: user.issuer,
      ownerId: user.userId,
      name,
      keyType,
      curve,
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
    });
    return toUserKeyView(key, format);
  }
}
