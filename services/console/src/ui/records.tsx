import { Fragment, type ComponentChildren } from 'preact';

/**
 * A table of records: a caption (for screen readers only unless `captionShown`: a heading on the page usually
 * names the table already), a header row of column names, and the rows the page renders.
 */
export function RecordTable(props: {
  caption: string;
  captionShown?: boolean;
  columns: readonly string[];
  class?: string;
  testId?: string;
  children: ComponentChildren;
}) {
  return (
    <table class={props.class} data-testid={props.testId}>
      <caption class={props.captionShown === true ? undefined : 'visually-hidden'}>{props.caption}</caption>
      <thead>
        <tr>
          {props.columns.map((c, i) => (
            <th key={i} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
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
