import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { HttpStatus, Logger } from '@nestjs/common';
import * as pkcs11 from 'pkcs11js';
import type { JWK } from 'jose';
import { DomainError } from '../common/domain-error';
import { ConfigError, type Pkcs11Settings } from '../config/config';
import { algorithmSpec, type SigningAlgorithm, type SigningKeySpec } from '../crypto/algorithms';

/** PKCS#11 3.0 values pkcs11js does not name. */
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;

/** Sessions kept open: as many operations run at once (each on libuv's thread pool), one per session. */
const SESSIONS = 4;
const RECOVERY_RETRY_MS = 1_000;
/** Room for any signature (RSA-8192) and any sealed data key. */
const OUTPUT_BYTES = 1024;

/** CKA_EC_PARAMS: the curve's DER object identifier. */
const EC_PARAMS: Record<string, Buffer> = {
  'P-256': Buffer.from('06082a8648ce3d030107', 'hex'),
  'P-384': Buffer.from('06052b81040022', 'hex'),
  'P-521': Buffer.from('06052b81040023', 'hex'),
  Ed25519: Buffer.from('06032b6570', 'hex'),
};
const HASH_MECHANISMS = {
  256: { rsa: pkcs11.CKM_SHA256_RSA_PKCS, pss: pkcs11.CKM_SHA256_RSA_PKCS_PSS, hash: pkcs11.CKM_SHA256, mgf: pkcs11.CKG_MGF1_SHA256 },
  384: { rsa: pkcs11.CKM_SHA384_RSA_PKCS, pss: pkcs11.CKM_SHA384_RSA_PKCS_PSS, hash: pkcs11.CKM_SHA384, mgf: pkcs11.CKG_MGF1_SHA384 },
  512: { rsa: pkcs11.CKM_SHA512_RSA_PKCS, pss: pkcs11.CKM_SHA512_RSA_PKCS_PSS, hash: pkcs11.CKM_SHA512, mgf: pkcs11.CKG_MGF1_SHA512 },
} as const;

/** Codes that say the token or its sessions are gone (real HSMs): re-initialise. */
const LOST_TOKEN_CODES = new Set([
  pkcs11.CKR_DEVICE_REMOVED,
  pkcs11.CKR_DEVICE_ERROR,
  pkcs11.CKR_DEVICE_MEMORY,
  pkcs11.CKR_TOKEN_NOT_PRESENT,
  pkcs11.CKR_TOKEN_NOT_RECOGNIZED,
  pkcs11.CKR_SESSION_HANDLE_INVALID,
  pkcs11.CKR_SESSION_CLOSED,
  pkcs11.CKR_USER_NOT_LOGGED_IN,
  pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED,
]);
/**
 * Codes that may say so, or may be about the operation: SoftHSM answers a vanished token with a general error or an
 * invalid handle, and a GCM tag that does not match with a general error too. The token is asked whether it is there.
 */
const MAYBE_LOST_CODES = new Set([pkcs11.CKR_GENERAL_ERROR, pkcs11.CKR_OBJECT_HANDLE_INVALID, pkcs11.CKR_KEY_HANDLE_INVALID]);

/** The injection token of the PKCS#11 token: a Pkcs11Token, or null when no HSM is configured. */
export const HSM = Symbol('HSM');

export const HSM_ERROR_CODES = ['HSM_UNAVAILABLE'] as const;

export class HsmUnavailableError extends DomainError<(typeof HSM_ERROR_CODES)[number]> {
  constructor(message = 'The HSM is unavailable; try again shortly') {
    super('HSM_UNAVAILABLE', HttpStatus.SERVICE_UNAVAILABLE, message);
  }
}

type Session = Buffer;
interface Pkcs11Failure extends Error {
  code?: number;
}
const isPkcs11Error = (error: unknown): error is Pkcs11Failure => error instanceof Error && error.name === 'Pkcs11Error';

/**
 * A PKCS#11 token (an HSM, a cloud HSM's library, SoftHSM2): a pool of logged-in sessions, one operation on each at a
 * time, every operation on libuv's thread pool. Key pairs are made inside the token (sensitive, never extractable),
 * found again by label, and sign there. When the token goes away, callers get HsmUnavailableError (503) at once; in
 * flight operations end, then the module is finalised and initialised again every second until the token is back:
 * never finalised under a running operation, which would crash the process.
 */
export class Pkcs11Token {
  private readonly logger = new Logger('Pkcs11Token');
  private readonly module = new pkcs11.PKCS11();
  private slot: Buffer | undefined;
  private free: Session[] = [];
  private readonly waiting: { resolve: (session: Session) => void; reject: (error: Error) => void }[] = [];
  private state: 'up' | 'draining' | 'recovering' | 'closed' = 'up';
  private running = 0;
  /** Private key and secret key handles by label: handles change when the token is opened again. */
  private handles = new Map<string, Buffer>();
  private recovery: NodeJS.Timeout | undefined;
  /** Whether the token makes Ed25519 keys (PKCS#11 3.0 EdDSA), found when it is opened. */
  supportsEdDSA = false;

  private constructor(private readonly settings: Pkcs11Settings) {}

  /**
   * Loads the library, finds the token and logs in, or throws ConfigError with one line that says what is wrong
   * (never the PIN).
   */
  static open(settings: Pkcs11Settings): Pkcs11Token {
    const token = new Pkcs11Token(settings);
    try {
      token.module.load(settings.module);
    } catch (error) {
      throw new ConfigError([`PKCS11_MODULE ${settings.module} cannot be loaded as a PKCS#11 library (${firstLine(error)})`]);
    }
    try {
      token.connect();
    } catch (error) {
      token.closeModule();
      throw new ConfigError([token.describe(error)]);
    }
    return token;
  }

  get available(): boolean {
    return this.state === 'up';
  }

  /** A key pair made inside the token, labelled `label`; answers its public key. */
  async generateKeyPair(spec: SigningKeySpec, label: string): Promise<KeyObject> {
    const common = [
      { type: pkcs11.CKA_TOKEN, value: true },
      { type: pkcs11.CKA_LABEL, value: label },
      { type: pkcs11.CKA_ID, value: createHash('sha256').update(label).digest().subarray(0, 16) },
    ];
    const publicTemplate: pkcs11.Template = [
      ...common,
      { type: pkcs11.CKA_VERIFY, value: true },
      { type: pkcs11.CKA_ENCRYPT, value: false },
      { type: pkcs11.CKA_WRAP, value: false },
    ];
    // Explicit usages: SoftHSM would let a private key decrypt and unwrap too.
    const privateTemplate = [
      ...common,
      { type: pkcs11.CKA_PRIVATE, value: true },
      { type: pkcs11.CKA_SENSITIVE, value: true },
      { type: pkcs11.CKA_EXTRACTABLE, value: false },
      { type: pkcs11.CKA_SIGN, value: true },
      { type: pkcs11.CKA_DECRYPT, value: false },
      { type: pkcs11.CKA_UNWRAP, value: false },
      { type: pkcs11.CKA_DERIVE, value: false },
    ];
    let mechanism: number;
    if (spec.type === 'RSA') {
      mechanism = pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN;
      publicTemplate.push({ type: pkcs11.CKA_MODULUS_BITS, value: spec.length }, { type: pkcs11.CKA_PUBLIC_EXPONENT, value: Buffer.of(1, 0, 1) });
    } else {
      mechanism = spec.type === 'OKP' ? CKM_EC_EDWARDS_KEY_PAIR_GEN : pkcs11.CKM_EC_KEY_PAIR_GEN;
      publicTemplate.push({ type: pkcs11.CKA_EC_PARAMS, value: EC_PARAMS[spec.curve!] });
    }
    return this.run(async (session) => {
      const pair = await this.module.C_GenerateKeyPairAsync(session, { mechanism }, publicTemplate, privateTemplate);
      this.handles.set(label, pair.privateKey);
      return this.publicKeyOf(session, pair.publicKey);
    });
  }

  /** The JWS signature of `data` by the private key labelled `label` (ECDSA as JOSE's r || s). */
  sign(algorithm: SigningAlgorithm, label: string, data: Buffer): Promise<Buffer> {
    const spec = algorithmSpec(algorithm);
    const hashes = HASH_MECHANISMS[spec.hashBits ?? 256];
    let mechanism: pkcs11.Mechanism;
    let input = data;
    if (spec.type === 'EC') {
      // CKM_ECDSA over the digest (tokens rarely offer CKM_ECDSA_SHA384/512); its output is already r || s.
      mechanism = { mechanism: pkcs11.CKM_ECDSA };
      input = createHash(`sha${spec.hashBits}`).update(data).digest();
    } else if (spec.type === 'OKP') {
      mechanism = { mechanism: CKM_EDDSA };
    } else if (algorithm.startsWith('PS')) {
      const parameter: pkcs11.RsaPSS = { type: pkcs11.CK_PARAMS_RSA_PSS, hashAlg: hashes.hash, mgf: hashes.mgf, saltLen: spec.hashBits! / 8 };
      mechanism = { mechanism: hashes.pss, parameter };
    } else {
      mechanism = { mechanism: hashes.rsa };
    }
    return this.run(async (session) => {
      this.module.C_SignInit(session, mechanism, this.find(session, label, pkcs11.CKO_PRIVATE_KEY));
      return this.module.C_SignAsync(session, input, Buffer.alloc(OUTPUT_BYTES));
    });
  }

  /** Destroys every object labelled `label` (a key pair's two halves); answers how many. */
  destroy(label: string): Promise<number> {
    return this.run((session) => {
      const found = this.findAll(session, [{ type: pkcs11.CKA_LABEL, value: label }]);
      for (const handle of found) this.module.C_DestroyObject(session, handle);
      this.handles.delete(label);
      return Promise.resolve(found.length);
    });
  }

  /** The attributes that show a private key cannot leave the token. */
  privateKeyProtection(label: string): Promise<{ sensitive: boolean; extractable: boolean; alwaysSensitive: boolean; neverExtractable: boolean }> {
    return this.run((session) => {
      const [sensitive, extractable, alwaysSensitive, neverExtractable] = this.module
        .C_GetAttributeValue(session, this.find(session, label, pkcs11.CKO_PRIVATE_KEY), [
          { type: pkcs11.CKA_SENSITIVE },
          { type: pkcs11.CKA_EXTRACTABLE },
          { type: pkcs11.CKA_ALWAYS_SENSITIVE },
          { type: pkcs11.CKA_NEVER_EXTRACTABLE },
        ])
        .map((attribute) => attribute.value.length > 0 && attribute.value[0] !== 0);
      return Promise.resolve({ sensitive, extractable, alwaysSensitive, neverExtractable });
    });
  }

  /** The AES-256 key labelled `label`, made in the token (sensitive, not extractable) when it has none. */
  ensureSecretKey(label: string): Promise<void> {
    return this.run(async (session) => {
      if (
        this.findAll(session, [
          { type: pkcs11.CKA_LABEL, value: label },
          { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_SECRET_KEY },
        ]).length > 0
      )
        return;
      await this.module.C_GenerateKeyAsync(session, { mechanism: pkcs11.CKM_AES_KEY_GEN }, [
        { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_SECRET_KEY },
        { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_AES },
        { type: pkcs11.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11.CKA_TOKEN, value: true },
        { type: pkcs11.CKA_PRIVATE, value: true },
        { type: pkcs11.CKA_SENSITIVE, value: true },
        { type: pkcs11.CKA_EXTRACTABLE, value: false },
        { type: pkcs11.CKA_ENCRYPT, value: true },
        { type: pkcs11.CKA_DECRYPT, value: true },
        { type: pkcs11.CKA_LABEL, value: label },
      ]);
      this.logger.log(`Created the AES-256 key-encryption key "${label}" in the token`);
    });
  }

  /** AES-256-GCM with the token's secret key `label`: ciphertext || 16-byte tag. */
  encrypt(label: string, plaintext: Buffer, iv: Buffer, associatedData: Buffer): Promise<Buffer> {
    return this.run(async (session) => {
      this.module.C_EncryptInit(session, gcm(iv, associatedData), this.find(session, label, pkcs11.CKO_SECRET_KEY));
      return this.module.C_EncryptAsync(session, plaintext, Buffer.alloc(plaintext.length + 16));
    });
  }

  /** The inverse of `encrypt`; throws when the tag does not match (another key, record or tampering). */
  decrypt(label: string, sealed: Buffer, iv: Buffer, associatedData: Buffer): Promise<Buffer> {
    return this.run(async (session) => {
      this.module.C_DecryptInit(session, gcm(iv, associatedData), this.find(session, label, pkcs11.CKO_SECRET_KEY));
      return this.module.C_DecryptAsync(session, sealed, Buffer.alloc(sealed.length));
    });
  }

  /** Stops: waits for nothing new, finalises once nothing runs. */
  close(): void {
    clearTimeout(this.recovery);
    this.state = 'closed';
    for (const waiter of this.waiting.splice(0)) waiter.reject(new HsmUnavailableError());
    if (this.running === 0) this.closeModule();
  }

  /** Runs `operation` with a session of its own; a lost token turns into HsmUnavailableError and a recovery. */
  private async run<T>(operation: (session: Session) => Promise<T>): Promise<T> {
    const session = await this.acquire();
    this.running++;
    try {
      return await operation(session);
    } catch (error) {
      if (!isPkcs11Error(error)) throw error;
      const code = error.code ?? -1;
      if (LOST_TOKEN_CODES.has(code) || (MAYBE_LOST_CODES.has(code) && !this.answers())) {
        this.lost(error);
        throw new HsmUnavailableError();
      }
      // The token is there: a stale handle is found again next time; anything else is the operation's own failure
      // (a tag that does not match, a refused mechanism), for the caller (a 500 shows none of it).
      this.handles.clear();
      throw error;
    } finally {
      this.running--;
      this.release(session);
    }
  }

  /** Whether the token answers (SoftHSM's C_GetTokenInfo fails once its token has gone). */
  private answers(): boolean {
    try {
      this.module.C_GetTokenInfo(this.slot!);
      return true;
    } catch {
      return false;
    }
  }

  private acquire(): Promise<Session> {
    if (this.state !== 'up') return Promise.reject(new HsmUnavailableError());
    const session = this.free.pop();
    if (session) return Promise.resolve(session);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(session: Session): void {
    if (this.state === 'up') {
      const waiter = this.waiting.shift();
      if (waiter) waiter.resolve(session);
      else this.free.push(session);
    } else if (this.running === 0) {
      if (this.state === 'closed') this.closeModule();
      else this.scheduleRecovery(0);
    }
  }

  /** The token went away: refuse new work, and recover once what runs has ended. */
  private lost(error: Pkcs11Failure): void {
    if (this.state !== 'up') return;
    this.logger.warn(`The HSM token is unavailable (${error.message}); reconnecting once ${this.running} running operation(s) end`);
    this.state = 'draining';
    this.free = [];
    for (const waiter of this.waiting.splice(0)) waiter.reject(new HsmUnavailableError());
  }

  private scheduleRecovery(delayMs: number): void {
    if (this.recovery || this.state === 'closed') return;
    this.state = 'recovering';
    this.recovery = setTimeout(() => {
      this.recovery = undefined;
      this.closeModule();
      try {
        this.connect();
        this.logger.log('The HSM token is back');
      } catch (error) {
        this.closeModule();
        this.logger.warn(`The HSM token is still unavailable (${this.describe(error)}); trying again in ${RECOVERY_RETRY_MS / 1000} s`);
        this.scheduleRecovery(RECOVERY_RETRY_MS);
      }
    }, delayMs);
    this.recovery.unref();
  }

  /** C_Initialize (with OS locking: operations run on several threads), the token by label, sessions logged in. */
  private connect(): void {
    try {
      this.module.C_Initialize({ flags: pkcs11.CKF_OS_LOCKING_OK });
    } catch (error) {
      // Another user of the same library in this process (tests start several apps) initialised it already.
      if (!isPkcs11Error(error) || error.code !== pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw error;
    }
    const slots = this.module.C_GetSlotList(true).filter((slot) => this.module.C_GetTokenInfo(slot).label.trim() === this.settings.tokenLabel);
    if (slots.length !== 1) {
      throw new Error(
        slots.length === 0
          ? `PKCS11_TOKEN_LABEL: no token labelled "${this.settings.tokenLabel}" in ${this.settings.module}`
          : `PKCS11_TOKEN_LABEL: ${slots.length} tokens are labelled "${this.settings.tokenLabel}"; labels must be unique`,
      );
    }
    this.slot = slots[0];
    const mechanisms = this.module.C_GetMechanismList(this.slot);
    this.supportsEdDSA = mechanisms.includes(CKM_EC_EDWARDS_KEY_PAIR_GEN) && mechanisms.includes(CKM_EDDSA);
    const sessions: Session[] = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push(this.module.C_OpenSession(this.slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION));
    // Login is per application and token: once for all sessions. Never retried on a wrong PIN (HSMs lock it).
    this.module.C_Login(sessions[0], pkcs11.CKU_USER, this.settings.pin);
    this.handles = new Map();
    this.free = sessions;
    this.state = 'up';
  }

  private closeModule(): void {
    if (this.slot) {
      try {
        this.module.C_CloseAllSessions(this.slot);
      } catch {
        // the token may be gone
      }
    }
    try {
      this.module.C_Finalize();
    } catch {
      // not initialised
    }
    this.slot = undefined;
  }

  /** One line for an operator; a wrong PIN is named without the PIN. */
  private describe(error: unknown): string {
    if (isPkcs11Error(error)) {
      if (error.code === pkcs11.CKR_PIN_INCORRECT)
        return `PKCS11_PIN is wrong for the token labelled "${this.settings.tokenLabel}" (CKR_PIN_INCORRECT)`;
      if (error.code === pkcs11.CKR_PIN_LOCKED) return `The user PIN of the token labelled "${this.settings.tokenLabel}" is locked (CKR_PIN_LOCKED)`;
      return `The PKCS#11 library refused to open the token: ${error.message}`;
    }
    return firstLine(error);
  }

  private find(session: Session, label: string, objectClass: number): Buffer {
    const cached = this.handles.get(label);
    if (cached) return cached;
    const [handle] = this.findAll(session, [
      { type: pkcs11.CKA_LABEL, value: label },
      { type: pkcs11.CKA_CLASS, value: objectClass },
    ]);
    if (!handle) {
      // SoftHSM finds nothing, without an error, while its token is away: ask the token whether it is there.
      this.module.C_GetTokenInfo(this.slot!);
      throw new HsmUnavailableError(`The HSM holds no key labelled ${label}`);
    }
    this.handles.set(label, handle);
    return handle;
  }

  private findAll(session: Session, template: pkcs11.Template): Buffer[] {
    this.module.C_FindObjectsInit(session, template);
    try {
      return this.module.C_FindObjects(session, 100);
    } finally {
      this.module.C_FindObjectsFinal(session);
    }
  }

  /** The public half as a KeyObject: RSA modulus and exponent, or the EC point (a DER OCTET STRING). */
  private publicKeyOf(session: Session, handle: Buffer): KeyObject {
    const [keyType] = this.module.C_GetAttributeValue(session, handle, [{ type: pkcs11.CKA_KEY_TYPE }]);
    const type = keyType.value.readUInt32LE(0);
    let jwk: JWK;
    if (type === pkcs11.CKK_RSA) {
      const [modulus, exponent] = this.module.C_GetAttributeValue(session, handle, [
        { type: pkcs11.CKA_MODULUS },
        { type: pkcs11.CKA_PUBLIC_EXPONENT },
      ]);
      jwk = { kty: 'RSA', n: modulus.value.toString('base64url'), e: exponent.value.toString('base64url') };
    } else {
      const [params, point] = this.module.C_GetAttributeValue(session, handle, [{ type: pkcs11.CKA_EC_PARAMS }, { type: pkcs11.CKA_EC_POINT }]);
      const crv = Object.keys(EC_PARAMS).find((curve) => EC_PARAMS[curve].equals(params.value))!;
      const bytes = derOctetString(point.value);
      if (type === CKK_EC_EDWARDS) {
        jwk = { kty: 'OKP', crv, x: bytes.toString('base64url') };
      } else {
        const half = (bytes.length - 1) / 2;
        jwk = { kty: 'EC', crv, x: bytes.subarray(1, 1 + half).toString('base64url'), y: bytes.subarray(1 + half).toString('base64url') };
      }
    }
    return createPublicKey({ key: jwk, format: 'jwk' });
  }
}

function gcm(iv: Buffer, associatedData: Buffer): pkcs11.Mechanism {
  const parameter: pkcs11.AesGCM = { type: pkcs11.CK_PARAMS_AES_GCM_v240, iv, aad: associatedData, ivBits: iv.length * 8, tagBits: 128 };
  return { mechanism: pkcs11.CKM_AES_GCM, parameter };
}

/** The content of a DER OCTET STRING (short or long length form). */
function derOctetString(der: Buffer): Buffer {
  if (der[0] !== 0x04) throw new Error('CKA_EC_POINT is not a DER OCTET STRING');
  let length = der[1];
  let offset = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | der[offset++];
  }
  return der.subarray(offset, offset + length);
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}
