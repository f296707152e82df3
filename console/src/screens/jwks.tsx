import { currentTenantId } from '../api';
import { OPERATIONS, urlOf } from '../operations';
import { CopyButton, Curl, Outcome, Screen, useLoad } from '../ui';
import './tokens.css';

/** The tenant's public JWKS as a verifier fetches it: no credentials, its headers, its body's JSON (indented to read). */
export function Jwks() {
  const { answer, reload } = useLoad<unknown>(OPERATIONS.jwks);
  const url = `${location.origin}${urlOf(OPERATIONS.jwks, { tenantId: currentTenantId() })}`;
  const json = answer?.ok ? JSON.stringify(answer.body, null, 2) : undefined;
  const kids = answer?.ok ? kidsOf(answer.body) : [];
  return (
    <Screen title="JWKS">
      <p class="hint">What verifiers fetch: the public route, without credentials.</p>
      <dl class="facts" aria-label="JWKS answer">
        <dt>URL</dt>
        <dd>
          <code>{url}</code> <CopyButton text={url} label="Copy URL" />
        </dd>
        <dt>Status</dt>
        <dd>{answer ? answer.status : 'loading…'}</dd>
        <dt>Cache-Control</dt>
        <dd>{answer?.headers.get('cache-control') ?? '–'}</dd>
        <dt>ETag</dt>
        <dd>{answer?.headers.get('etag') ?? '–'}</dd>
        <dt>Keys</dt>
        <dd>
          {kids.length === 0 ? (
            'none'
          ) : (
            <ul aria-label="Key ids (kid)">
              {kids.map((kid) => (
                <li key={kid}>
                  <code>{kid}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
      <div class="actions">
        <button type="button" onClick={reload}>
          Fetch again
        </button>
        {json ? <CopyButton text={json} label="Copy JSON" /> : null}
      </div>
      {answer && !answer.ok ? <Outcome answer={answer} /> : null}
      {json ? <pre aria-label="JWKS JSON">{json}</pre> : null}
      <Curl operation={OPERATIONS.jwks} />
    </Screen>
  );
}

function kidsOf(body: unknown): string[] {
  const keys = (body as { keys?: unknown } | null)?.keys;
  return Array.isArray(keys) ? keys.map((key) => String((key as { kid?: unknown }).kid)) : [];
}
