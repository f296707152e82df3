import { Injectable } from '@nestjs/common';
import { ValidationFailedError } from '../common/domain-error';
import {
  algorithmSpec,
  DEFAULT_CERTIFICATE_DAYS,
  SIGNING_ALGORITHMS,
  signingKeySpec,
  type SigningAlgorithm,
  type SigningKeySpec,
} from '../crypto/algorithms';
import { assertRuntimeSupports } from '../crypto/ml-dsa-runtime';
import { generateSigningKey, type RsaGenerationFor } from '../crypto/signing-keys';
import { MetricsService } from '../metrics/metrics.service';
import { lengthMessage } from './dto/algorithm-choice';
import type { KeyCustodyKind, KeyStatus, RotationPolicy, TenantKeyEntity } from './entities/tenant-key.entity';
import { KeyCustody } from './material/key-custody';
import { newKeyMaterial, type CertificateSubject, type KeyMaterial } from './material/key-material';
import { RsaKeyPool } from './material/rsa-key-pool';
import type { NewTenantKey } from './tenant-keys.repository';
import type { SigningPolicy } from './signing/signing-policy';
import { SecretSealer } from '../sealing/secret-sealer';

/** Where a new key stands in its lifecycle, beyond its material. */
export interface NewKeyPlace {
  name: string;
  issuer: string | null;
  alias?: string | null;
  rotationPolicy?: RotationPolicy | null;
  signingPolicy?: SigningPolicy | null;
  status?: KeyStatus;
  rotatedFrom?: string | null;
  activatesAt?: Date | null;
  nextRotationAt?: Date | null;
}

/** A scheduled successor's material, and the spec it was made of. */
export interface SuccessorMaterial {
  spec: SigningKeySpec;
  material: KeyMaterial;
}

/**
 * What every change to a tenant's keys shares, whoever makes it (a caller, the lifecycle scheduler): new key
 * material, and the row of a new key.
 */
@Injectable()
export class KeyWrites {
  constructor(
    private readonly rsaPool: RsaKeyPool,
    private readonly metrics: MetricsService,
    private readonly custody: KeyCustody,
    private readonly sealer: SecretSealer,
  ) {}

  /**
   * Fresh key material of this spec, sealed to its row or made in the HSM, timed into the metrics. An RSA pair comes
   * from the pool, else from the generator in the turn of whom it is for (the tenant, unless said otherwise).
   */
  generate(
    tenantId: string,
    id: string,
    spec: SigningKeySpec,
    certificate: CertificateSubject | undefined,
    custody: KeyCustodyKind = 'software',
    generationFor: RsaGenerationFor = { tenantId },
  ): Promise<KeyMaterial> {
    return this.metrics.timeKeyGeneration(spec.algorithm, async () => {
      // Every new key's material comes here (generate, rotations, the scheduler's successors): never ML-DSA on a Node without it.
      assertRuntimeSupports(spec.algorithm, 'algorithm');
      if (custody === 'hsm') return this.custody.generate(tenantId, id, spec);
      const pair = this.rsaPool.take(spec) ?? (await generateSigningKey(spec, generationFor));
      return newKeyMaterial(this.sealer, tenantId, id, spec.algorithm, pair, certificate);
    });
  }

  /**
   * A scheduled successor's material and spec (scheduledSuccessorSpec), with a fresh self-signed certificate if the old
   * key had one; an RSA pair made in the scheduler's own turn, so that no tenant's flood of generations holds rotations back.
   */
  async successorMaterial(old: TenantKeyEntity, successorId: string): Promise<SuccessorMaterial> {
    const spec = scheduledSuccessorSpec(old);
    const certificate =
      old.certificatePem !== null && algorithmSpec(spec.algorithm).webCrypto
        ? { subject: old.name, issuer: old.issuer, validityDays: DEFAULT_CERTIFICATE_DAYS }
        : undefined;
    return { spec, material: await this.generate(old.tenantId, successorId, spec, certificate, old.custody, 'scheduler') };
  }
}

/** The row of a new key: its spec, its material, and its place in the lifecycle (active, no alias, no policy by default). */
export function newKeyRow(tenantId: string, id: string, spec: SigningKeySpec, material: KeyMaterial, place: NewKeyPlace): NewTenantKey {
  // The spec's four fields by name: a stored key passed as the spec must not lend its other columns.
  return {
    algorithm: spec.algorithm,
    type: spec.type,
    curve: spec.curve,
    length: spec.length,
    ...material,
    tenantId,
    id,
    name: place.name,
    issuer: place.issuer,
    status: place.status ?? 'active',
    retireAt: null,
    rotatedFrom: place.rotatedFrom ?? null,
    rotatedTo: null,
    alias: place.alias ?? null,
    rotationPolicy: place.rotationPolicy ?? null,
    signingPolicy: place.signingPolicy ?? null,
    nextRotationAt: place.nextRotationAt ?? null,
    activatesAt: place.activatesAt ?? null,
    publishingUntil: null,
    deleteAt: null,
    restoreStatus: null,
    restoreAlias: null,
    certificateWarnedDays: null,
  };
}

/** What a stored key is: its algorithm, type, curve and length. */
export function specOf(key: TenantKeyEntity): SigningKeySpec {
  return { algorithm: key.algorithm, type: key.type, curve: key.curve, length: key.length };
}

/** What a successor may be instead of its key's algorithm and length: a rotation's choice, or a rotation policy's. */
export interface SuccessorChoice {
  algorithm?: SigningAlgorithm;
  length?: number;
}

/**
 * A successor's spec: the algorithm and length chosen, else the key's own. A length left out stays the key's when the
 * algorithm is the same or allows it (RS256 4096 to PS256 keeps 4096), else is the algorithm's default. An
 * asymmetric key and an HMAC key never succeed one another: the one's verifiers read the JWKS, the other's hold the
 * secret, so those of the alias could not follow. 400s name `prefix` + `algorithm` or `length`.
 */
export function successorSpec(key: SigningKeySpec, { algorithm = key.algorithm, length }: SuccessorChoice, prefix = ''): SigningKeySpec {
  const hmac = (of: SigningAlgorithm) => algorithmSpec(of).type === 'HMAC';
  if (hmac(algorithm) !== hmac(key.algorithm)) {
    const allowed = SIGNING_ALGORITHMS.filter((other) => hmac(other) === hmac(key.algorithm)).join(', ');
    const message = `${prefix}algorithm must be one of ${allowed} for a successor of ${key.algorithm}: an HMAC key has no JWKS entry, so verifiers of the one could not verify the other`;
    throw new ValidationFailedError([{ field: `${prefix}algorithm`, message }]);
  }
  assertRuntimeSupports(algorithm, `${prefix}algorithm`);
  const { lengths } = algorithmSpec(algorithm);
  if (length !== undefined && !lengths.includes(length)) {
    throw new ValidationFailedError([{ field: `${prefix}length`, message: lengthMessage(`${prefix}length`, algorithm) }]);
  }
  const keepsLength = algorithm === key.algorithm || lengths.includes(key.length);
  return signingKeySpec(algorithm, length ?? (keepsLength ? key.length : undefined));
}

/** The spec of a key's scheduled successor: its rotation policy's choice (validated when the policy was set). */
export function scheduledSuccessorSpec(key: TenantKeyEntity): SigningKeySpec {
  return successorSpec(specOf(key), key.rotationPolicy ?? {});
}

/** Whether two specs make the same keys (algorithm and length decide the rest). */
export function sameSpec(a: SigningKeySpec, b: SigningKeySpec): boolean {
  return a.algorithm === b.algorithm && a.length === b.length;
}

/** `seconds` from `from`. */
export function secondsAfter(from: Date, seconds: number): Date {
  return new Date(from.getTime() + seconds * 1000);
}
