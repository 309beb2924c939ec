import { Fragment, type ComponentChildren } from 'preact';
import { useI18n } from '../i18n/locale.js';
import type { MessageKey } from '../i18n/vi.js';

/** A `RecordTable`'s attributes. */
type RecordTableProps = {
  caption: string;
  captionShown?: boolean;
  /** The columns' names, as message keys (the table translates them). */
  columns: readonly MessageKey[];
  class?: string;
  testId?: string;
  children: ComponentChildren;
};

/**
 * A table of records: a caption (for screen readers only unless `captionShown`: a heading on the page usually
 * names the table already), a header row of column names, and the rows the page renders.
 */
export function RecordTable(props: RecordTableProps) {
  const { t } = useI18n();
  return (
    <table class={props.class} data-testid={props.testId}>
      <caption class={props.captionShown === true ? undefined : 'visually-hidden'}>{props.caption}</caption>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c} scope="col">
              {t(c)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}

/**
 * A table that is a part of a page under its own heading (an h2 unless `level` says otherwise): the caption
 * repeats the heading for screen readers, unless `caption` says more than the heading does.
 */
export function TitledTable(
  props: Omit<RecordTableProps, 'caption' | 'captionShown'> & {
    title: string;
    level?: 2 | 3;
    caption?: string;
  },
) {
  const { title, level = 2, caption = title, ...table } = props;
  const Heading = level === 3 ? 'h3' : 'h2';
  return (
    <>
      <Heading>{title}</Heading>
      <RecordTable caption={caption} {...table} />
    </>
  );
}

/** One fact of a `Facts` list: its name and value (`testId`, `class`: on the value). */
export type Fact = { label: string; value: ComponentChildren; testId?: string; class?: string };

/** Facts about one thing as a definition list (name, then value). */
export function Facts(props: { facts: readonly Fact[]; testId?: string }) {
  return (
    <dl class="facts" data-testid={props.testId}>
      {props.facts.map((f) => (
        <Fragment key={f.label}>
          <dt>{f.label}</dt>
          <dd class={f.class} data-testid={f.testId}>
            {f.value}
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}
