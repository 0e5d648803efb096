type Props = {
  id: string;
  label: string;
  value: string;
  onValue: (v: string) => void;
  hint?: string;
  error?: string;
  type?: "text" | "password" | "tel";
  inputMode?: "text" | "tel";
  autoComplete?: string;
  autoCapitalize?: "none" | "sentences";
  spellcheck?: boolean;
  required?: boolean;
};

// (`type` is cast because preact 11 types each input type as its own union member.)
/** A labelled input whose error (from the server or a local check) sits right under it and is announced. */
export function Field({ id, label, value, onValue, hint, error, type = "text", ...rest }: Props) {
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={id} type={type as "text"} value={value} onInput={(e) => onValue(e.currentTarget.value)} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...rest} />
      {error ? <p id={`${id}-error`} class="field-error">{error}</p> : hint ? <p id={`${id}-hint`} class="hint">{hint}</p> : null}
    </div>
  );
}
