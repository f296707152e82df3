import { Presets, SingleBar } from 'cli-progress';
import type { AppConfig } from '../../config/config';
import { generatedKeyEncryptionKeyPath } from '../../runtime';
import { KeyEncryptionRotation, type RotationProgress } from '../../tenant-keys/material/kek-rotation';
import { BATCH_OPTION, batchSize, defineCommand } from '../command';

/**
 * What seals now, named as the reader configured it: the HSM's key (PKCS11_KEK_LABEL), the first of
 * KEY_ENCRYPTION_KEYS, KEY_ENCRYPTION_KEY, or the key the embedded default generated. Without a configuration
 * (usage on a broken one), every way.
 */
export function sealingKeyInWords(config: AppConfig | undefined): string {
  if (!config) return "the first key of KEY_ENCRYPTION_KEYS (or KEY_ENCRYPTION_KEY), or with PKCS11_KEK_LABEL the HSM's key";
  const hsm = config.pkcs11;
  if (hsm?.kekLabel && hsm.kekSeals) return `the HSM's key-encryption key "${hsm.kekLabel}" (PKCS11_KEK_LABEL)`;
  switch (config.openingKeysVariable) {
    case 'KEY_ENCRYPTION_KEYS':
      return config.openingKeys.length > 1 ? 'the newest key-encryption key, the first of KEY_ENCRYPTION_KEYS' : 'the key of KEY_ENCRYPTION_KEYS';
    case 'KEY_ENCRYPTION_KEY':
      return 'KEY_ENCRYPTION_KEY';
    case undefined:
      return `the key-encryption key generated in ${generatedKeyEncryptionKeyPath(config.dataDir)}`;
  }
}

/** What the operator may do once every secret is under the sealing key: drop the keys that seal nothing any more. */
function afterRotation(config: AppConfig): string {
  const sealsInHsm = config.pkcs11?.kekLabel && config.pkcs11.kekSeals;
  return !sealsInHsm && config.openingKeysVariable === 'KEY_ENCRYPTION_KEYS' && config.openingKeys.length > 1
    ? ' Older keys may now be removed from KEY_ENCRYPTION_KEYS.'
    : '';
}

/**
 * Progress of a long operation on stderr: a bar on a terminal, a line per step otherwise (CI logs, pipes),
 * so that stdout keeps only the result.
 */
function progressReporter(verb: string) {
  if (!process.stderr.isTTY) {
    return {
      update: ({ resealed, remaining }: RotationProgress) => void process.stderr.write(`  ${verb} ${resealed}, ${remaining} to go\n`),
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    { stream: process.stderr, format: `  ${verb} {bar} {value}/{total} ({percentage}%) eta {eta}s`, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update: ({ resealed, remaining }: RotationProgress) => {
      if (!started) bar.start(resealed + remaining, resealed);
      started = true;
      bar.setTotal(resealed + remaining);
      bar.update(resealed);
    },
    stop: () => bar.stop(),
  };
}

export const kekRotate = defineCommand({
  name: 'kek:rotate',
  options: { batch: BATCH_OPTION },
  description: (config) =>
    `re-seal every stored secret (private keys, HMAC and webhook secrets) under what seals now: ${sealingKeyInWords(config)}; ` +
    'resumable, safe while the service runs',
  validate: ({ batch }) => batchSize(batch),
  async run({ app, config, json }, batchSize) {
    const progress = json ? undefined : progressReporter('re-sealed');
    const result = await app.get(KeyEncryptionRotation).run(batchSize, progress?.update);
    progress?.stop();
    if (result.remaining > 0) {
      return {
        json: result,
        text: `${result.resealed} secrets re-sealed; ${result.remaining} were busy and remain: run kek:rotate again.`,
        exitCode: 1,
      };
    }
    return {
      json: result,
      text: `${result.resealed} secrets re-sealed (private keys, HMAC and webhook secrets); all are under ${sealingKeyInWords(config)}.${afterRotation(config)}`,
    };
  },
});
