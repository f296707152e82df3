import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { RuntimeConfig } from '../config/config';
import { KeySealer, SEALED_COLUMNS, type SealedColumn } from './key-sealer';
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

/**
 * The token for every feature (custody of signing keys) and the sealer of secrets at rest, told the sealed columns
 * that the features declare; the token closes with the application.
 */
@Global()
@Module({})
export class HsmModule {
  static forRoot(token: Pkcs11Token | null, sealedColumns: readonly SealedColumn[]): DynamicModule {
    return {
      module: HsmModule,
      providers: [{ provide: HSM, useValue: token }, { provide: SEALED_COLUMNS, useValue: sealedColumns }, HsmCloser, KeySealer],
      exports: [HSM, SEALED_COLUMNS, KeySealer],
    };
  }
}
