import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageMeta } from '../api';
import { CopyButton, Reason } from '../ui';
import './admin.css';

/**
 * A secret the service answers once (an API key, a webhook signing secret): shown with a copy button and a warning.
 * It lives only in the state of the screen that asked for it, so it is gone once the user navigates away.
 */
export function OnceSecret({ name, secret, children }: { name: string; secret: string; children?: ComponentChildren }) {
  return (
    <section class="once-secret" aria-label={`Shown once: ${name}`}>
      {children}
      <p class="warning">
        <strong>Copy it now:</strong> this secret will not be shown again.
      </p>
      <pre aria-label={name}>{secret}</pre>
      <CopyButton text={secret} label={`Copy ${name}`} />
    </section>
  );
}

/**
 * A destructive action in two steps: the first button asks, the second (which takes the focus) does it, "Keep" goes
 * back. Disabled, with the reason beside it, when `why` says the key may not.
 */
export function Confirm({ action, what, why, onConfirm }: { action: string; what: string; why?: string; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <>
        <button type="button" disabled={Boolean(why)} onClick={() => setAsking(true)} aria-label={`${action} ${what}`}>
          {action}
        </button>
        <Reason why={why} />
      </>
    );
  }
  return (
    <>
      <button
        type="button"
        ref={confirm}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
        aria-label={`Confirm: ${action.toLowerCase()} ${what}`}
      >
        Confirm {action.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)} aria-label={`Keep ${what}`}>
        Keep
      </button>
    </>
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
