import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import * as pkcs11 from 'pkcs11js';
import type { JWK } from 'jose';
import { ConfigError, type Pkcs11Settings } from '../config/config';
import type { SigningAlgorithm, SigningKeySpec } from '../crypto/algorithms';
import { HsmUnavailableError } from './hsm-errors';
import {
  CKK_EC_EDWARDS,
  CKM_EC_EDWARDS_KEY_PAIR_GEN,
  CKM_EDDSA,
  CKM_ML_DSA,
  CKM_ML_DSA_KEY_PAIR_GEN,
  EC_PARAMS,
  keyPairGeneration,
  signingMechanism,
} from './pkcs11-mechanisms';

/** Sessions kept open: as many operations run at once (each on libuv's thread pool), one per session. */
const SESSIONS = 4;
const RECOVERY_RETRY_MS = 1_000;
/** Room for any signature (RSA-8192) and any sealed data key. */
const OUTPUT_BYTES = 1024;

/** Codes that say the token or its sessions are gone (real HSMs): re-initialise. */
const LOST_TOKEN_CODES = new Set([
  pkcs11.CKR_DEVICE_REMOVED,
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
const MAYBE_LOST_CODES = new Set([
  pkcs11.CKR_GENERAL_ERROR,
  pkcs11.CKR_DEVICE_ERROR,
  pkcs11.CKR_OBJECT_HANDLE_INVALID,
  pkcs11.CKR_KEY_HANDLE_INVALID,
]);
const STALE_HANDLE_CODES = new Set([pkcs11.CKR_OBJECT_HANDLE_INVALID, pkcs11.CKR_KEY_HANDLE_INVALID]);
/** Login answers that another try would not change, and that real HSMs count towards locking the PIN. */
const PIN_CODES = new Set([pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_LOCKED, pkcs11.CKR_PIN_EXPIRED]);
/** How long a call waits for a free session before it is a 503 (a hung network HSM must not queue calls for ever). */
const SESSION_WAIT_MS = 10_000;

/** The injection token of the PKCS#11 token: a Pkcs11Token, or null when no HSM is configured. */
export const HSM = Symbol('HSM');

type Session = Buffer;
interface Pkcs11Failure extends Error {
  code?: number;
}
export const isPkcs11Error = (error: unknown): error is Pkcs11Failure => error instanceof Error && error.name === 'Pkcs11Error';

/**
 * A PKCS#11 token (an HSM, a cloud HSM's library, SoftHSM2): a pool of logged-in sessions, one operation on each at a
 * time, every operation on libuv's thread pool. Key pairs are made inside the token (sensitive, never extractable),
 * found again by label, and sign there. When the token goes away, callers get HsmUnavailableError (503) at once; in
 * flight operations end, then the module is finalised and initialised again every second until the token is back:
 * never finalised under a running operation, which would crash the process.
 */
export class Pkcs11Token {
  /** The library's state is the process's: one token object per process at a time. */
  private static opened = false;
  private readonly logger = new Logger('Pkcs11Token');
  private readonly module = new pkcs11.PKCS11();
  private slot: Buffer | undefined;
  private free: Session[] = [];
  /** The sessions of the current connection: a session of an earlier one is never handed out again. */
  private current = new Set<Session>();
  private readonly waiting: { resolve: (session: Session) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }[] = [];
  /** failed: the token refused the PIN on a reconnection; retrying would lock it, so nothing is tried until a restart. */
  private state: 'up' | 'draining' | 'recovering' | 'failed' | 'closed' = 'up';
  private running = 0;
  /** Private key and secret key handles by label: handles change when the token is opened again. */
  private handles = new Map<string, Buffer>();
  private recovery: NodeJS.Timeout | undefined;
  /** Whether the token makes Ed25519 keys (PKCS#11 3.0 EdDSA), found when it is opened. */
  supportsEdDSA = false;
  /** Whether the token makes ML-DSA keys (PKCS#11 3.2), found when it is opened. */
  supportsMlDsa = false;

  private constructor(private readonly settings: Pkcs11Settings) {}

  /**
   * Loads the library, finds the token and logs in, or throws ConfigError with one line that says what is wrong
   * (never the PIN).
   */
  static open(settings: Pkcs11Settings): Pkcs11Token {
    if (Pkcs11Token.opened) throw new Error('A PKCS#11 token is already open in this process: close it first');
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
    Pkcs11Token.opened = true;
    return token;
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
    const { mechanism, publicAttributes } = keyPairGeneration(spec);
    publicTemplate.push(...publicAttributes);
    return this.run(async (session) => {
      const pair = await this.module.C_GenerateKeyPairAsync(session, { mechanism }, publicTemplate, privateTemplate);
      try {
        return this.publicKeyOf(session, pair.publicKey);
      } catch (error) {
        for (const handle of [pair.privateKey, pair.publicKey]) this.module.C_DestroyObject(session, handle);
        throw error;
      }
    });
  }

  /** The JWS signature of `data` by the private key labelled `label` (ECDSA as JOSE's r || s). */
  sign(algorithm: SigningAlgorithm, label: string, data: Buffer): Promise<Buffer> {
    const { mechanism, input } = signingMechanism(algorithm, data);
    return this.run(async (session) => {
      this.module.C_SignInit(session, mechanism, this.find(session, label, pkcs11.CKO_PRIVATE_KEY));
      return this.module.C_SignAsync(session, input, Buffer.alloc(OUTPUT_BYTES));
    });
  }

  /** The labels of the token's key objects that start with `prefix` (each once). */
  labels(prefix: string): Promise<string[]> {
    return this.run((session) => {
      const found = new Set<string>();
      for (const objectClass of [pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_PUBLIC_KEY]) {
        for (const handle of this.findAll(session, [{ type: pkcs11.CKA_CLASS, value: objectClass }], 100_000)) {
          const label = this.module.C_GetAttributeValue(session, handle, [{ type: pkcs11.CKA_LABEL }])[0].value.toString('utf8');
          if (label.startsWith(prefix)) found.add(label);
        }
      }
      return Promise.resolve([...found]);
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
  /**
   * Whether the token holds the AES-256 key `label` (sensitive, not extractable); with `create`, makes it when it has
   * none. Throws when several keys have the label, or the one there is not such a key.
   */
  ensureSecretKey(label: string, create: boolean): Promise<'found' | 'created' | 'missing'> {
    return this.run(async (session) => {
      const found = this.findAll(session, [
        { type: pkcs11.CKA_LABEL, value: label },
        { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_SECRET_KEY },
      ]);
      if (found.length > 1)
        throw new ConfigError([`PKCS11_KEK_LABEL: ${found.length} secret keys in the token are labelled "${label}"; labels must be unique`]);
      if (found.length === 1) {
        const [type, length, sensitive, extractable] = this.module.C_GetAttributeValue(session, found[0], [
          { type: pkcs11.CKA_KEY_TYPE },
          { type: pkcs11.CKA_VALUE_LEN },
          { type: pkcs11.CKA_SENSITIVE },
          { type: pkcs11.CKA_EXTRACTABLE },
        ]);
        if (
          type.value.readUInt32LE(0) !== pkcs11.CKK_AES ||
          length.value.readUInt32LE(0) !== 32 ||
          sensitive.value[0] !== 1 ||
          extractable.value[0] !== 0
        ) {
          throw new ConfigError([`PKCS11_KEK_LABEL: the key labelled "${label}" is not a sensitive, non-extractable AES-256 key`]);
        }
        return 'found';
      }
      if (!create) return 'missing';
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
        // Nothing else: SoftHSM would let it wrap, unwrap, sign and verify too.
        { type: pkcs11.CKA_WRAP, value: false },
        { type: pkcs11.CKA_UNWRAP, value: false },
        { type: pkcs11.CKA_SIGN, value: false },
        { type: pkcs11.CKA_VERIFY, value: false },
        { type: pkcs11.CKA_DERIVE, value: false },
        { type: pkcs11.CKA_LABEL, value: label },
      ]);
      this.logger.log(`Created the AES-256 key-encryption key "${label}" in the token`);
      return 'created';
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
    this.rejectWaiting();
    if (this.running === 0) this.closeModule();
    Pkcs11Token.opened = false;
  }

  /** Runs `operation` with a session of its own; a lost token turns into HsmUnavailableError and a recovery. */
  private async run<T>(operation: (session: Session) => Promise<T>, retried = false): Promise<T> {
    // Counted as running from the moment it is handed a session (acquire), until it is released here.
    const session = await this.acquire();
    let released = false;
    const releaseOnce = () => {
      if (!released) this.release(session);
      released = true;
    };
    try {
      return await operation(session);
    } catch (error) {
      if (!isPkcs11Error(error)) throw error;
      const code = error.code ?? -1;
      if (LOST_TOKEN_CODES.has(code) || (MAYBE_LOST_CODES.has(code) && !this.answers())) {
        this.lost(error);
        throw new HsmUnavailableError();
      }
      // The token is there: anything else is the operation's own failure (a tag that does not match, a refused
      // mechanism, a full token), for the caller (a 500 shows none of it); a stale handle is looked up once more.
      this.handles.clear();
      if (STALE_HANDLE_CODES.has(code) && !retried) {
        releaseOnce();
        return this.run(operation, true);
      }
      throw error;
    } finally {
      releaseOnce();
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
    if (session) {
      this.running++;
      return Promise.resolve(session);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new HsmUnavailableError('The HSM is busy; try again shortly'));
      }, SESSION_WAIT_MS);
      const waiter = { resolve, reject, timer };
      this.waiting.push(waiter);
    });
  }

  /** Hands the session to the next waiter (who is then the one running) or back to the pool; a stale one is dropped. */
  private release(session: Session): void {
    if (this.state === 'up' && this.current.has(session)) {
      const waiter = this.waiting.shift();
      if (waiter) {
        clearTimeout(waiter.timer);
        waiter.resolve(session);
        return;
      }
      this.free.push(session);
    }
    this.running--;
    this.settleIfIdle();
  }

  /** Once nothing runs: a closed token finalises, a lost one starts recovering. */
  private settleIfIdle(): void {
    if (this.running > 0 || this.state === 'up') return;
    if (this.state === 'closed') this.closeModule();
    else if (this.state === 'draining') this.scheduleRecovery(0);
  }

  private rejectWaiting(): void {
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new HsmUnavailableError());
    }
  }

  /** The token went away: refuse new work, and recover once what runs has ended. */
  private lost(error: Pkcs11Failure): void {
    if (this.state !== 'up') return;
    this.logger.warn(`The HSM token is unavailable (${error.message}); reconnecting once ${this.running} running operation(s) end`);
    this.state = 'draining';
    this.free = [];
    this.rejectWaiting();
  }

  private scheduleRecovery(delayMs: number): void {
    if (this.recovery || this.state === 'closed') return;
    this.state = 'recovering';
    this.recovery = setTimeout(() => {
      this.recovery = undefined;
      if (this.running > 0 || this.state !== 'recovering') return;
      this.closeModule();
      try {
        this.connect();
        this.logger.log('The HSM token is back');
      } catch (error) {
        this.closeModule();
        if (isPkcs11Error(error) && PIN_CODES.has(error.code ?? -1)) {
          // Another try would count towards locking the PIN: the service answers 503 for HSM keys until restarted.
          this.state = 'failed';
          this.logger.error(`The HSM token is back but refuses the PIN (${this.describe(error)}); not retrying: fix PKCS11_PIN and restart`);
          return;
        }
        this.logger.warn(`The HSM token is still unavailable (${this.describe(error)}); trying again in ${RECOVERY_RETRY_MS / 1000} s`);
        this.state = 'draining';
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
    const labelOf = (slot: Buffer) => {
      try {
        return this.module.C_GetTokenInfo(slot).label.trim();
      } catch {
        return undefined; // a slot whose token does not answer is not ours to judge
      }
    };
    const slots = this.module.C_GetSlotList(true).filter((slot) => labelOf(slot) === this.settings.tokenLabel);
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
    this.supportsMlDsa = mechanisms.includes(CKM_ML_DSA_KEY_PAIR_GEN) && mechanisms.includes(CKM_ML_DSA);
    const sessions: Session[] = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push(this.module.C_OpenSession(this.slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION));
    // Login is per application and token: once for all sessions. Never retried on a wrong PIN (HSMs lock it).
    this.module.C_Login(sessions[0], pkcs11.CKU_USER, this.settings.pin);
    this.handles = new Map();
    this.current = new Set(sessions);
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
    const found = this.findAll(session, [
      { type: pkcs11.CKA_LABEL, value: label },
      { type: pkcs11.CKA_CLASS, value: objectClass },
    ]);
    if (found.length !== 1) {
      // SoftHSM finds nothing, without an error, while its token is away: ask the token whether it is there.
      this.module.C_GetTokenInfo(this.slot!);
      // It is: the key is gone (or not one), which waiting will not mend. A 500 for the caller, the label in the log.
      throw new Error(`The HSM holds ${found.length} objects labelled ${label} of class ${objectClass}, not one`);
    }
    const [handle] = found;
    this.handles.set(label, handle);
    return handle;
  }

  private findAll(session: Session, template: pkcs11.Template, max = 100): Buffer[] {
    this.module.C_FindObjectsInit(session, template);
    try {
      return this.module.C_FindObjects(session, max);
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
