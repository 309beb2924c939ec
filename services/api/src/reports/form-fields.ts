/** A URL-encoded form's fields: a name given once is its value, a repeated name its values in order. */
export type FormFields = Record<string, string | string[]>;

/** A field's (first) value, or '' when absent. */
export const one = (f: FormFields, name: string): string => {
  const v = f[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
};
/**
 * A URL-encoded body's fields, a repeated name's values in order. In time linear in the body: a body of one name
 * repeated (`a&a&a…`, a hundred thousand times within the form's body limit) must not cost a copy of its values per
 * value.
 */
export function parseFormFields(body: string): FormFields {
  // No prototype: a field named __proto__ is a field like any other.
  const fields = Object.create(null) as FormFields;
  for (const [k, v] of new URLSearchParams(body)) addFormField(fields, k, v);
  return fields;
}

/** Adds a field's value: a repeated name's values grow in one array, in place (never copied per value). */
export function addFormField(fields: FormFields, name: string, value: string): void {
  const had = fields[name];
  if (had === undefined) fields[name] = value;
  else if (Array.isArray(had)) had.push(value);
  else fields[name] = [had, value];
}
