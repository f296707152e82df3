import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { APP_CONFIG, ConfigError, type RuntimeConfig } from '../config/config';
import {
  envelopePrefix,
  isEnvelope,
  open,
  openEnvelope,
  seal,
  sealEnvelope,
  sealedPrefix,
  SealOpenError,
  type DataKeyWrapper,
} from '../crypto/sealing';
import { HsmUnavailableError } from '../hsm/hsm-errors';
import { HSM, isPkcs11Error, type Pkcs11Token } from '../hsm/pkcs11-token';

/**
 * A column holding secrets sealed at rest, as the feature that owns its table declares it: the table (with tenant_id
 * and id columns), and the associated data each row's value is sealed with.
 */
export interface SealedColumn {
  table: string;
  column: string;
  associatedData: (tenantId: string, id: string) => string;
}

/** Every sealed column the application has (SealingModule.forRoot): what the sealer looks through at start, and `kek:rotate` re-seals. */
export const SEALED_COLUMNS = Symbol('SEALED_COLUMNS');

/**
 * What seals secrets at rest (private keys, HMAC and webhook secrets): the environment's first key-encryption key,
 * or, with PKCS11_KEK_LABEL, an AES-256 key in the HSM that wraps a fresh data key per record (envelope encryption:
 * a database dump and the environment open nothing). Opens either form, so `kek:rotate` moves records between them.
 */
@Injectable()
export class SecretSealer implements OnModuleInit {
  private readonly logger = new Logger(SecretSealer.name);
  private readonly wrapper: DataKeyWrapper | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    @Inject(HSM) private readonly hsm: Pkcs11Token | null,
    @Inject(SEALED_COLUMNS) private readonly sealedColumns: readonly SealedColumn[],
    private readonly dataSource: DataSource,
  ) {
    const label = config.pkcs11?.kekLabel;
    if (hsm && label) {
      this.wrapper = {
        name: label,
        wrap: (dataKey, iv, associatedData) => hsm.encrypt(label, dataKey, iv, associatedData),
        // A tag the token refuses is a record that does not open; an HSM away stays a 503.
        unwrap: (wrapped, iv, associatedData) =>
          hsm.decrypt(label, wrapped, iv, associatedData).catch((error: unknown) => {
            throw isPkcs11Error(error) ? new SealOpenError() : error;
          }),
      };
    }
  }

  /**
   * The HSM's key-encryption key is made in the token the first time (sensitive, never extractable), by one instance
   * at a time (an advisory lock: instances starting together make one key, not one each), and never again once
   * records are sealed under a key of that label: a token that lost it is a configuration error, not a fresh start.
   */
  async onModuleInit(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      if (!this.wrapper) {
        // Envelopes that no configured HSM key opens: said once here, a 503 for each of their keys later.
        if (await anySealedWith(runner, this.sealedColumns, ENVELOPE_FORMAT)) {
          this.logger.warn('Some stored secrets are sealed under an HSM key-encryption key, and PKCS11_KEK_LABEL is not set: their keys answer 503');
        }
        return;
      }
      const label = this.wrapper.name;
      await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`pkcs11-kek:${label}`]);
      try {
        const sealedUnderIt = await anySealedWith(runner, this.sealedColumns, envelopePrefix(this.wrapper));
        const outcome = await this.hsm!.ensureSecretKey(label, this.config.pkcs11!.kekSeals && !sealedUnderIt);
        if (outcome === 'missing') {
          throw new ConfigError([
            sealedUnderIt
              ? `PKCS11_KEK_LABEL: the token has no key labelled "${label}", yet stored records are sealed under it: restore it from the HSM's backup`
              : `PKCS11_KEK_LABEL: the token has no key labelled "${label}" (it is made only when PKCS11_KEK_SEALS is true)`,
          ]);
        }
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`pkcs11-kek:${label}`]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
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

  /**
   * SealOpenError when no configured key opens it (another row, a removed key, tampering); 503 while the HSM is away,
   * or for an envelope when the HSM key that sealed it is not configured.
   */
  async open(sealed: Buffer, associatedData: string): Promise<Buffer> {
    if (!isEnvelope(sealed)) return open(this.config.openingKeys, sealed, associatedData);
    if (!this.wrapper || !sealed.subarray(0, envelopePrefix(this.wrapper).length).equals(envelopePrefix(this.wrapper))) {
      throw new HsmUnavailableError('Sealed under an HSM key-encryption key that is not configured (PKCS11_KEK_LABEL)');
    }
    return openEnvelope(this.wrapper, sealed, associatedData);
  }
}

/** The first byte of every envelope. */
const ENVELOPE_FORMAT = envelopePrefix({ name: '' }).subarray(0, 1);

/** Whether any stored secret starts with `prefix`; a column not there yet (the CLI migrates after this) holds nothing. */
async function anySealedWith(runner: QueryRunner, sealedColumns: readonly SealedColumn[], prefix: Buffer): Promise<boolean> {
  for (const { table, column } of sealedColumns) {
    const [{ exists }] = (await runner.query(
      'SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2) AS exists',
      [table, column],
    )) as [{ exists: boolean }];
    if (!exists) continue;
    const [{ found }] = (await runner.query(
      `SELECT EXISTS (SELECT 1 FROM ${table} WHERE substring(${column} FROM 1 FOR length($1::bytea)) = $1::bytea) AS found`,
      [prefix],
    )) as [{ found: boolean }];
    if (found) return true;
  }
  return false;
}
