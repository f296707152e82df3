import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type RuntimeConfig } from '../config/config';
import { envelopePrefix, isEnvelope, open, openEnvelope, seal, sealEnvelope, sealedPrefix, type DataKeyWrapper } from '../crypto/sealing';
import { HSM, type Pkcs11Token } from './pkcs11-token';

/**
 * What seals secrets at rest (private keys, HMAC and webhook secrets): the environment's first key-encryption key,
 * or, with PKCS11_KEK_LABEL, an AES-256 key in the HSM that wraps a fresh data key per record (envelope encryption:
 * a database dump and the environment open nothing). Opens either form, so `kek:rotate` moves records between them.
 */
@Injectable()
export class KeySealer implements OnModuleInit {
  private readonly wrapper: DataKeyWrapper | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    @Inject(HSM) private readonly hsm: Pkcs11Token | null,
  ) {
    const label = config.pkcs11?.kekLabel;
    if (hsm && label) {
      this.wrapper = {
        name: label,
        wrap: (dataKey, iv, associatedData) => hsm.encrypt(label, dataKey, iv, associatedData),
        unwrap: (wrapped, iv, associatedData) => hsm.decrypt(label, wrapped, iv, associatedData),
      };
    }
  }

  /** The HSM's key-encryption key is made in the token the first time (sensitive, never extractable). */
  async onModuleInit(): Promise<void> {
    if (this.wrapper) await this.hsm!.ensureSecretKey(this.wrapper.name);
  }

  /** Whether new records are sealed under the HSM's key (else the environment's first key). */
  private get sealsInHsm(): boolean {
    return this.wrapper !== undefined && this.config.pkcs11!.kekSeals;
  }

  /** The first bytes of everything sealed now: records that start otherwise are for `kek:rotate`. */
  sealingPrefix(): Buffer {
    return this.sealsInHsm ? envelopePrefix(this.wrapper!) : sealedPrefix(this.config.sealingKey);
  }

  seal(plaintext: Buffer, associatedData: string): Promise<Buffer> {
    return this.sealsInHsm
      ? sealEnvelope(this.wrapper!, plaintext, associatedData)
      : Promise.resolve(seal(this.config.sealingKey, plaintext, associatedData));
  }

  /** SealOpenError when no configured key opens it (another row, a removed key, tampering); 503 while the HSM is away. */
  async open(sealed: Buffer, associatedData: string): Promise<Buffer> {
    return isEnvelope(sealed) ? openEnvelope(this.wrapper, sealed, associatedData) : open(this.config.openingKeys, sealed, associatedData);
  }
}
