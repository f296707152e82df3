import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { RuntimeConfig } from '../config/config';
import { HSM, Pkcs11Token } from './pkcs11-token';

/** Opens the configured token (ConfigError, one line per problem, when it cannot), or null without PKCS11_ settings. */
export function openHsm(config: Pick<RuntimeConfig, 'pkcs11'>): Pkcs11Token | null {
  return config.pkcs11 ? Pkcs11Token.open(config.pkcs11) : null;
}

@Injectable()
class HsmCloser implements OnApplicationShutdown {
  constructor(@Inject(HSM) private readonly token: Pkcs11Token | null) {}

  onApplicationShutdown(): void {
    this.token?.close();
  }
}

/** The token for every feature (custody of signing keys, the key-encryption key of SealingModule); it closes with the application. */
@Global()
@Module({})
export class HsmModule {
  static forRoot(token: Pkcs11Token | null): DynamicModule {
    return { module: HsmModule, providers: [{ provide: HSM, useValue: token }, HsmCloser], exports: [HSM] };
  }
}
