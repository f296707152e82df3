import type { PageMeta } from '../api';
import { CopyButton } from '../ui';
import './admin.css';

/**
 * A secret the service answers once (an API key, a webhook signing secret): shown with a copy button and a warning.
 * It lives only in the state of the screen that asked for it, so it is gone once the user navigates away.
 */
export function OnceSecret({ name, secret }: { name: string; secret: string }) {
  return (
    <section class="once-secret" aria-label={`Shown once: ${name}`}>
      <p class="warning">
        <strong>Copy it now:</strong> this secret will not be shown again.
      </p>
      <pre aria-label={name}>{secret}</pre>
      <CopyButton text={secret} label={`Copy ${name}`} />
    </section>
  );
}

/** "First page" and "Next page" of a list the API pages with `meta.nextCursor`. */
export function Pager({ meta, cursor, onPage }: { meta?: PageMeta; cursor?: string; onPage: (cursor?: string) => void }) {
  return (
    <div class="actions">
      <button type="button" disabled={!cursor} onClick={() => onPage(undefined)}>
        First page
      </button>
      <button type="button" disabled={!meta?.nextCursor} onClick={() => onPage(meta?.nextCursor ?? undefined)}>
        Next page
      </button>
    </div>
  );
}

/** A comma-separated list as the API's array: trimmed, without empty items. */
export const listOf = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
