import type { ComponentChildren } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { useI18n } from '../i18n/locale.js';
import { ErrorNote } from './kit.js';

/** The text of the input or textarea an event came from. */
const valueOf = (e: Event) => (e.target as HTMLInputElement | HTMLTextAreaElement).value;

/**
 * The values of a form's controls, kept together by name (a control's `id` stays its own). `bind(name)` is the
 * `value` and `onValue` to spread on the control; `set` changes some values at once, `reset` puts back `initial`.
 */
export function useFormValues<V extends Record<string, string>>(initial: V) {
  const [values, setValues] = useState<V>(initial);
  const set = useCallback((changed: Partial<V>) => setValues((v) => ({ ...v, ...changed })), []);
  const bind = <K extends keyof V>(name: K) => ({
    value: values[name],
    onValue: (value: V[K]) => setValues((v) => ({ ...v, [name]: value })),
  });
  return { values, set, bind, reset: () => setValues(initial) };
}

/** A labelled form control: the label names it, the hint describes it. `onValue` gets the text typed. */
export function Field(props: {
  label: string;
  hint?: string;
  id: string;
  value: string;
  onValue: (value: string) => void;
  type?: 'text' | 'password' | 'number' | 'search' | 'date';
  required?: boolean;
  pattern?: string;
  autocomplete?: string;
  inputMode?: 'numeric' | 'text';
  min?: string;
  max?: string;
}) {
  const { label, hint, id, type = 'text', onValue, ...input } = props;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        {...input}
        // Preact types each input type apart and cannot check a union of them; the attributes given suit all five.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        type={type as 'text'}
        onInput={(e) => onValue(valueOf(e))}
        aria-describedby={hint === undefined ? undefined : `${id}-hint`}
      />
      {hint === undefined ? null : (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

/** A labelled text area (a note or a reason), at most 2,000 characters as the API takes. */
export function TextArea(props: {
  label: string;
  id: string;
  value: string;
  onValue: (value: string) => void;
  required?: boolean;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <textarea
        id={props.id}
        required={props.required}
        maxLength={2000}
        value={props.value}
        onInput={(e) => props.onValue(valueOf(e))}
      />
    </div>
  );
}

/**
 * A labelled select (`class`: of its box, `field` unless said; an option's `lang`: the language of its label;
 * `none`: the label of an empty first option, for no choice). `onValue` gets the value chosen.
 */
export function Choice(props: {
  label: string;
  id: string;
  value: string;
  options: readonly { value: string; label: string; lang?: string }[];
  none?: string;
  onValue: (value: string) => void;
  required?: boolean;
  class?: string;
}) {
  const options =
    props.none === undefined ? props.options : [{ value: '', label: props.none }, ...props.options];
  return (
    <div class={props.class ?? 'field'}>
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        required={props.required}
        onChange={(e) => props.onValue((e.target as HTMLSelectElement).value)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value} lang={o.lang}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A labelled select among codes shown as they are (tenant kinds, key roles, time zones), typed as the codes are. */
export function CodeChoice<V extends string>(props: {
  label: string;
  id: string;
  value: V;
  codes: readonly V[];
  onValue: (value: V) => void;
  class?: string;
}) {
  const { codes, onValue, ...choice } = props;
  return (
    <Choice
      {...choice}
      options={codes.map((c) => ({ value: c, label: c }))}
      // The select offers only `codes`.
      onValue={(v) => onValue(v as V)}
    />
  );
}

/** A form the page handles itself: submitting runs `onSubmit` (the browser neither navigates nor reloads). */
export function ActionForm(props: {
  class: string;
  onSubmit: () => void;
  role?: 'search';
  'aria-label'?: string;
  'aria-labelledby'?: string;
  children: ComponentChildren;
}) {
  const { onSubmit, children, ...attributes } = props;
  return (
    <form
      {...attributes}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}

/** The end of a form: why its last run failed (if it did), and its submit button, disabled while it runs. */
export function Submit(props: { label: string; busy: boolean; error: unknown; disabled?: boolean }) {
  return (
    <>
      <ErrorNote error={props.error} />
      <button type="submit" disabled={props.busy || props.disabled === true}>
        {props.label}
      </button>
    </>
  );
}

/** Filters over a list on the page: each applies as it changes (submitting the form does nothing more). */
export function Filters(props: { children: ComponentChildren }) {
  return (
    <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      {props.children}
    </form>
  );
}

/** A filter's select: "all" (the empty value, no filter) first, then `options`. */
export function FilterChoice(props: {
  label: string;
  id: string;
  value: string;
  options: readonly { value: string; label: string }[];
  onValue: (value: string) => void;
}) {
  const { t } = useI18n();
  return <Choice {...props} none={t('common.all')} />;
}
