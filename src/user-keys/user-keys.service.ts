import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { JWK } from 'jose';
import type { UserPrincipal } from '../auth/principals';
import { formatUserPrivateKey, generateUserKeyPair, type UserKeyFormat } from '../crypto/user-key-formats';
import type { RegisterUserKeyDto } from './dto/register-user-key.dto';
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
    const { publicKey, privateKey } = await generateUserKeyPair(request.curve);
    const key = await this.keys.insert({
      id: randomUUID(),
      issuer: user.issuer,
      ownerId: user.userId,
      name: request.name,
      keyType: 'ecdsa',
      curve: request.curve,
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
    });
    return { ...toUserKeyView(key, request.format), privateKey: formatUserPrivateKey(privateKey, request.curve, request.format) };
  }
}
