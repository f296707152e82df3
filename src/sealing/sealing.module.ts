import { type DynamicModule, Global, Module } from '@nestjs/common';
import { SecretSealer, SEALED_COLUMNS, type SealedColumn } from './secret-sealer';

/** The sealer of every secret at rest, for every feature, told the sealed columns that the features declare. */
@Global()
@Module({})
export class SealingModule {
  static forRoot(sealedColumns: readonly SealedColumn[]): DynamicModule {
    return {
      module: SealingModule,
      providers: [{ provide: SEALED_COLUMNS, useValue: sealedColumns }, SecretSealer],
      exports: [SEALED_COLUMNS, SecretSealer],
    };
  }
}
