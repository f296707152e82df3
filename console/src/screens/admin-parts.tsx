import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Call } from '../api';
import type { Operation } from '../operations';
import { CopyButton, Curl, Reason } from '../ui';
import './admin.css';

/**
 * A secret the service answers once (an API key, a webhook signing secret): shown with a copy button and a warning.
 * It lives only in the state of the screen that asked for it (its own and its call's answer), so it is gone once the
 * user navigates away.
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

interface ConfirmProps {
  action: string;
  what: string;
  why?: string;
  /** The call the action makes: its curl line is shown with the question, before it runs. */
  operation: Operation;
  request: Call;
  onConfirm: (request: Call, operation: Operation) => void;
}

/**
 * An action in two steps: the first button asks and shows the call's curl line, the second (which takes the focus)
 * does it, "Keep" goes back. Disabled, with the reason beside it, when `why` says the key may not.
 */
export function Confirm({ action, what, why, operation, request, onConfirm }: ConfirmProps) {
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
          onConfirm(request, operation);
        }}
        aria-label={`Confirm: ${action.toLowerCase()} ${what}`}
      >
        Confirm {action.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)} aria-label={`Keep ${what}`}>
        Keep
      </button>
      <Curl operation={operation} request={request} />
    </>
  );
}

/** A comma-separated list as the API's array: trimmed, without empty items. */
export const listOf = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
