import { useState } from 'preact/hooks';
import type { Answer } from '../api';
import { OPERATIONS } from '../operations';
import { linkTo } from '../router';
import { useMissingRight } from '../session';
import { Curl, Outcome, Reason, Screen, Select, useCall } from '../ui';
import type { TenantKey } from '../views';
import { ALGORITHMS } from '../vocabulary';
import './keys.css';

const RSA_LENGTHS = ['2048', '3072', '4096'];
const KEY_CUSTODIES = ['software', 'hsm'];
const isRsa = (algorithm: string) => /^(RS|PS)/.test(algorithm);

/** Generate a key in the service, or import one made elsewhere (PEM, JWK or HMAC secret). */
export function NewKey() {
  return (
    <Screen title="New key">
      <div class="new-key">
        <GenerateKey />
        <ImportKey />
      </div>
    </Screen>
  );
}

/** Name, alias and issuer, as generate and import both take them; empty ones are left out of the body. */
interface Naming {
  name: string;
  alias: string;
  issuer: string;
}

const namingBody = ({ name, alias, issuer }: Naming) => ({ name, ...(alias ? { alias } : {}), ...(issuer ? { issuer } : {}) });

function NamingFields({ form, naming, onChange }: { form: string; naming: Naming; onChange: (naming: Naming) => void }) {
  const field = (member: keyof Naming) => (e: { currentTarget: HTMLInputElement }) => onChange({ ...naming, [member]: e.currentTarget.value });
  return (
    <>
      <label>
        Name
        <input value={naming.name} onInput={field('name')} required maxLength={255} autoComplete="off" />
      </label>
      <label>
        Alias (optional)
        <input value={naming.alias} onInput={field('alias')} autoComplete="off" spellcheck={false} aria-describedby={`${form}-alias-hint`} />
      </label>
      <span class="hint" id={`${form}-alias-hint`}>
        Follows rotations: sign with the alias and its current key signs.
      </span>
      <label>
        Issuer (optional)
        <input value={naming.issuer} onInput={field('issuer')} autoComplete="off" spellcheck={false} aria-describedby={`${form}-issuer-hint`} />
      </label>
      <span class="hint" id={`${form}-issuer-hint`}>
        The iss of the tokens it signs, unless their claims have one.
      </span>
    </>
  );
}

function GenerateKey() {
  const [naming, setNaming] = useState<Naming>({ name: '', alias: '', issuer: '' });
  const [algorithm, setAlgorithm] = useState('ES256');
  const [length, setLength] = useState(RSA_LENGTHS[0]);
  const [custody, setCustody] = useState('software');
  const [certificate, setCertificate] = useState(false);
  const [rotation, setRotation] = useState<Rotation>();
  const generate = useCall<TenantKey>(OPERATIONS.generateKey);
  const missing = useMissingRight(OPERATIONS.generateKey);
  const hmac = algorithm.startsWith('HS');
  const body = {
    ...namingBody(naming),
    algorithm,
    ...(isRsa(algorithm) ? { length: Number(length) } : {}),
    ...(custody === 'software' ? {} : { custody }),
    ...(certificate && !hmac ? { certificate: true } : {}),
    ...(rotation ? { rotationPolicy: rotationPolicy(rotation) } : {}),
  };
  const submit = (event: Event) => {
    event.preventDefault();
    void generate.run({ body });
  };
  return (
    <section aria-labelledby="generate-title">
      <h2 id="generate-title">Generate a key</h2>
      <form aria-label="Generate" onSubmit={submit}>
        <NamingFields form="generate" naming={naming} onChange={setNaming} />
        <Select id="generate-algorithm" label="Algorithm" value={algorithm} options={ALGORITHMS} onChange={setAlgorithm} />
        {isRsa(algorithm) ? (
          <Select id="generate-length" label="RSA length (bits)" value={length} options={RSA_LENGTHS} onChange={setLength} />
        ) : null}
        <Select
          id="generate-custody"
          label="Custody"
          value={custody}
          options={KEY_CUSTODIES}
          onChange={setCustody}
          hint="hsm: made and kept in the service's PKCS#11 token, never extractable (not HMAC)."
        />
        {hmac ? null : (
          <label class="inline">
            <input type="checkbox" checked={certificate} onChange={(e) => setCertificate(e.currentTarget.checked)} />
            Self-signed certificate
          </label>
        )}
        <RotationFields rotation={rotation} onChange={setRotation} />
        <div class="actions">
          <button type="submit" disabled={generate.busy || !!missing}>
            Generate
          </button>
          <Reason why={missing} />
        </div>
      </form>
      <Made answer={generate.answer} />
      <Curl operation={OPERATIONS.generateKey} request={{ body }} />
    </section>
  );
}

/** A rotation policy as typed: whole seconds, as the API takes them. */
interface Rotation {
  rotateEverySeconds: string;
  prePublishSeconds: string;
  retireAfterSeconds: string;
}

const DAY = 86_400;
const ROTATION_FIELDS: [keyof Rotation, string, string][] = [
  ['rotateEverySeconds', 'Rotate every (seconds)', 'How long each key signs before its successor takes over.'],
  ['prePublishSeconds', 'Publish the successor before (seconds)', 'At least JWKS_MAX_AGE, so verifiers hold it before it signs.'],
  ['retireAfterSeconds', 'Old key verifies for (seconds)', 'After it stops signing; also the longest token lifetime it signs.'],
];

const rotationPolicy = (rotation: Rotation) =>
  Object.fromEntries(Object.entries(rotation).map(([member, seconds]) => [member, Number(seconds)])) as Record<keyof Rotation, number>;

/** An optional rotation policy: off, or three periods (30 days, 1 day, 1 day to start from). */
function RotationFields({ rotation, onChange }: { rotation?: Rotation; onChange: (rotation?: Rotation) => void }) {
  const toggle = (on: boolean) =>
    onChange(on ? { rotateEverySeconds: String(30 * DAY), prePublishSeconds: String(DAY), retireAfterSeconds: String(DAY) } : undefined);
  return (
    <>
      <label class="inline">
        <input type="checkbox" checked={!!rotation} onChange={(e) => toggle(e.currentTarget.checked)} />
        Rotate on a schedule
      </label>
      {rotation ? (
        <fieldset>
          <legend>Rotation policy</legend>
          {ROTATION_FIELDS.map(([member, label, hint]) => (
            <div key={member} class="field">
              <label for={`generate-${member}`}>{label}</label>
              <input
                id={`generate-${member}`}
                type="number"
                min={1}
                step={1}
                required
                value={rotation[member]}
                onInput={(e) => onChange({ ...rotation, [member]: e.currentTarget.value })}
                aria-describedby={`generate-${member}-hint`}
              />
              <span class="hint" id={`generate-${member}-hint`}>
                {hint}
              </span>
            </div>
          ))}
        </fieldset>
      ) : null}
    </>
  );
}

type KeyFormat = 'pem' | 'jwk' | 'secret';

function ImportKey() {
  const [naming, setNaming] = useState<Naming>({ name: '', alias: '', issuer: '' });
  const [algorithm, setAlgorithm] = useState('');
  const [format, setFormat] = useState<KeyFormat>('pem');
  const [publicKey, setPublicKey] = useState('');
  const [privateKey, setPrivateKey] = useState('');
  const [jwkText, setJwkText] = useState('');
  const [secret, setSecret] = useState('');
  const [kid, setKid] = useState('');
  const [jsonProblem, setJsonProblem] = useState<string>();
  const importing = useCall<TenantKey>(OPERATIONS.importKey);
  const missing = useMissingRight(OPERATIONS.importKey);
  const jwk = parseJson(jwkText);
  const material =
    format === 'pem'
      ? { ...(publicKey ? { publicKey } : {}), ...(privateKey ? { privateKey } : {}) }
      : format === 'jwk'
        ? { jwk: 'value' in jwk ? jwk.value : '<not valid JSON>' }
        : { secret };
  const body = { ...namingBody(naming), ...(algorithm ? { algorithm } : {}), ...(kid.trim() ? { kid: kid.trim() } : {}), ...material };
  const submit = async (event: Event) => {
    event.preventDefault();
    // Not JSON cannot be a JWK: said here, and the service is not asked.
    if (format === 'jwk' && 'problem' in jwk) {
      importing.reset();
      setJsonProblem(`The JWK is not valid JSON: ${jwk.problem}`);
      return;
    }
    setJsonProblem(undefined);
    const answer = await importing.run({ body });
    // The key is in the service now: its private part or secret need not stay on the page.
    if (answer.ok) {
      setPrivateKey('');
      setSecret('');
      setJwkText('');
    }
  };
  return (
    <section aria-labelledby="import-title">
      <h2 id="import-title">Import a key</h2>
      <form aria-label="Import" onSubmit={submit}>
        <NamingFields form="import" naming={naming} onChange={setNaming} />
        <Select
          id="import-algorithm"
          label="Algorithm"
          value={algorithm}
          options={[['', 'inferred from the key'], ...ALGORITHMS]}
          onChange={setAlgorithm}
        />
        <Select
          id="import-format"
          label="Key format"
          value={format}
          options={[
            ['pem', 'PEM (public, private or both)'],
            ['jwk', 'JWK'],
            ['secret', 'HMAC secret'],
          ]}
          onChange={(value) => setFormat(value as KeyFormat)}
        />
        <label>
          Kid (optional)
          <input
            value={kid}
            onInput={(e) => setKid(e.currentTarget.value)}
            spellcheck={false}
            autoComplete="off"
            aria-describedby="import-kid-hint"
          />
        </label>
        <span class="hint" id="import-kid-hint">
          Keep the kid the key had elsewhere, so its tokens verify here. Default: a JWK's own kid, else its thumbprint.
        </span>
        {format === 'pem' ? (
          <>
            <label>
              Public key (PEM)
              <textarea value={publicKey} onInput={(e) => setPublicKey(e.currentTarget.value)} spellcheck={false} />
            </label>
            <label>
              Private key (PEM)
              <textarea
                value={privateKey}
                onInput={(e) => setPrivateKey(e.currentTarget.value)}
                spellcheck={false}
                autoComplete="off"
                aria-describedby="import-private-hint"
              />
            </label>
            <span class="hint" id="import-private-hint">
              Unencrypted PKCS#8, PKCS#1 or SEC1; sealed at rest and never shown again.
            </span>
          </>
        ) : format === 'jwk' ? (
          <label>
            JWK (JSON)
            <textarea value={jwkText} onInput={(e) => setJwkText(e.currentTarget.value)} spellcheck={false} autoComplete="off" />
          </label>
        ) : (
          <>
            <label>
              HMAC secret (base64url)
              <input
                type="password"
                value={secret}
                onInput={(e) => setSecret(e.currentTarget.value)}
                autoComplete="off"
                spellcheck={false}
                aria-describedby="import-secret-hint"
              />
            </label>
            <span class="hint" id="import-secret-hint">
              At least the hash size: 32, 48 or 64 bytes (HS256, HS384, HS512).
            </span>
          </>
        )}
        <div class="actions">
          <button type="submit" disabled={importing.busy || !!missing}>
            Import
          </button>
          <Reason why={missing} />
        </div>
      </form>
      {jsonProblem ? (
        <p role="alert" class="outcome error">
          {jsonProblem}
        </p>
      ) : (
        <Made answer={importing.answer} />
      )}
      <Curl operation={OPERATIONS.importKey} request={{ body }} />
    </section>
  );
}

function parseJson(text: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

/** The service's answer; after a success, the new key's kid and a link to its page. */
function Made({ answer }: { answer?: Answer<TenantKey> }) {
  const key = answer?.ok ? answer.data : null;
  return (
    <>
      <Outcome answer={answer} />
      {key ? (
        <p class="created">
          <a href={linkTo('keys', key.id)}>Open {key.name}</a> · kid <code aria-label="kid of the new key">{key.kid}</code>
        </p>
      ) : null}
    </>
  );
}
