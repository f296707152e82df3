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
}: {
  id: string;
  label: string;
  value: string;
  /** [value, text] pairs, or values shown as they are. */
  options: (string | [string, string])[];
  onChange: (value: string) => void;
  /** A line under it that says more, read out with it. */
  hint?: string;
}) {
  return (
    <div class="keys-field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)} aria-describedby={hint ? `${id}-hint` : undefined}>
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
