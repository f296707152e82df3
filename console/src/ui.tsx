import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, currentTenantId, type Answer, type Call, type PageMeta } from './api';
import { curlFor, withoutSecrets } from './curl';
import type { Operation } from './operations';

/** A screen: its heading takes the focus when it opens, so a screen reader announces where the user is. */
export function Screen({ title, children }: { title: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // On opening only: a screen whose title changes (a renamed key) keeps the focus where the user is.
  useEffect(() => heading.current?.focus(), []);
  return (
    <section aria-labelledby="screen-title">
      <h1 id="screen-title" tabIndex={-1} ref={heading}>
        {title}
      </h1>
      {children}
    </section>
  );
}

/** The service's answer as it came: the message (and code, and field errors) of an error, the message of a success. */
export function Outcome({ answer }: { answer?: Answer<unknown> }) {
  if (!answer) return null;
  if (answer.ok) {
    return (
      <p role="status" class="outcome ok">
        {answer.message}
      </p>
    );
  }
  return (
    <div role="alert" class="outcome error">
      <p>
        {answer.code ? <code>{answer.code}</code> : null} {answer.message}
      </p>
      {answer.errors?.length ? (
        <ul>
          {answer.errors.map((error) => (
            <li key={error.field}>
              <code>{error.field}</code>: {error.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The equivalent curl command of a call, with the API key as `$KS_API_KEY`. */
export function Curl({ operation, request = {} }: { operation: Operation; request?: Call }) {
  const text = curlFor(operation, currentTenantId(), request);
  return (
    <div class="curl">
      <pre aria-label={`curl for ${operation.method} ${operation.path}`}>{text}</pre>
      <CopyButton text={text} label="Copy curl" />
    </div>
  );
}

/** Copies `text` to the clipboard and says so. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('Copied');
    } catch {
      setDone('Copy failed: select the text and copy it');
    }
  };
  return (
    <span class="copy">
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span role="status">{done}</span>
    </span>
  );
}

/** A date-time as the service sent it, readable, in UTC; a dash for none. */
export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span aria-label="none">–</span>;
  return <time dateTime={at}>{at.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}</time>;
}

/** Why a control is greyed out, next to it. */
export function Reason({ why }: { why?: string }) {
  return why ? <span class="reason">{why}</span> : null;
}

/**
 * One call at a time from a screen: runs it, keeps the last answer, and the last operation and request without its
 * secrets (for its curl line: a private key sent to import is not kept). The operation is the hook's, or the one given
 * to `run` (a table whose rows offer several actions). `run` answers the service's answer, so a screen can go on
 * (navigate, reload) after a success.
 */
export function useCall<T>(operation?: Operation) {
  const [answer, setAnswer] = useState<Answer<T>>();
  const [ran, setRan] = useState<{ operation: Operation; request: Call }>();
  const [busy, setBusy] = useState(false);
  const run = async <R = T,>(next: Call = {}, chosen: Operation | undefined = operation): Promise<Answer<R>> => {
    if (!chosen) throw new Error('useCall: no operation to run');
    setBusy(true);
    setRan({ operation: chosen, request: { ...next, body: withoutSecrets(next.body) } });
    try {
      const result = await call<R>(chosen, next);
      setAnswer(result as unknown as Answer<T>);
      return result;
    } finally {
      setBusy(false);
    }
  };
  return { answer, request: ran?.request, ran, busy, run, reset: () => setAnswer(undefined) };
}

/** Loads once (and again on `reload`): the answer of a read the screen shows. */
export function useLoad<T>(operation: Operation, request: Call = {}, deps: unknown[] = []) {
  const [answer, setAnswer] = useState<Answer<T>>();
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    void call<T>(operation, request).then((result) => live && setAnswer(result));
    return () => {
      live = false;
    };
  }, [version, ...deps]);
  return { answer, reload: () => setVersion((v) => v + 1) };
}

const UNITS: [number, string][] = [
  [86_400, 'd'],
  [3_600, 'h'],
  [60, 'min'],
  [1, 's'],
];

/** Seconds as days, hours, minutes and seconds (`1 d 2 h`), with the exact seconds beside them. */
export function duration(seconds: number): string {
  let rest = seconds;
  const parts: string[] = [];
  for (const [size, unit] of UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count} ${unit}`);
    rest -= count * size;
  }
  return `${parts.join(' ') || '0 s'} (${seconds} s)`;
}

/**
 * A labelled <select>. The label names it through `for`, not by wrapping it: a wrapping label's text would hold
 * every option's text too.
 */
export function Select({
  id,
  label,
  value,
  options,
  onChange,
  hint,
  disabled,
}: {
  id: string;
  label: string;
  value: string;
  /** [value, text] pairs, or values shown as they are. */
  options: (string | [string, string])[];
  onChange: (value: string) => void;
  /** A line under it that says more, read out with it. */
  hint?: string;
  disabled?: boolean;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(e.currentTarget.value)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      >
        {options.map((option) => {
          const [optionValue, text] = typeof option === 'string' ? [option, option] : option;
          return (
            <option key={optionValue} value={optionValue}>
              {text}
            </option>
          );
        })}
      </select>
      {hint ? (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
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
