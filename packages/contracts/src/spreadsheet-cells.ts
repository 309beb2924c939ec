/**
 * Spreadsheet formula injection (CWE-1236): Excel, LibreOffice Calc and Google Sheets read a CSV/TSV cell whose
 * text starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula (`=HYPERLINK("http://x","click")`,
 * `+cmd|' /C calc'!A0`, `@SUM(A1)`), so text others wrote becomes live in the sheet of whoever opens the file.
 * Such a cell is defused with a leading single quote (OWASP's advice): the sheet shows it as text.
 *
 * One rule for every file the project writes for people (the console's orders CSV, bank exports). Single quotes
 * already leading such a text count as part of the lead (`'=x` gets one more), so that `restoreFormulaCell` takes
 * off exactly the quote `defuseFormulaCell` added and a defused file imports back to the same values.
 * Pure (no I/O): a subpath of its own, so the console's bundle takes it without the schemas of the main entry.
 */

/**
 * The texts that get the quote, as a regular expression both JavaScript (`new RegExp`) and PostgreSQL (`~`, for
 * exports written by COPY) read the same way: any single quotes, then one of `= + @ tab CR -`.
 */
export const FORMULA_CELL_PATTERN = "^'*[=+@\\t\\r-]";

const NEEDS_QUOTE = new RegExp(FORMULA_CELL_PATTERN);
/** A text `defuseFormulaCell` quoted: the added quote, then a text that needs one. */
const QUOTED = new RegExp(`^'${FORMULA_CELL_PATTERN.slice(1)}`);

/** `text` as a spreadsheet will not run: a leading `'` when it would start a formula (see the module). */
export function defuseFormulaCell(text: string): string {
  return NEEDS_QUOTE.test(text) ? `'${text}` : text;
}

/** The inverse of `defuseFormulaCell`: the text without the quote it added (any other text as it is). */
export function restoreFormulaCell(text: string): string {
  return QUOTED.test(text) ? text.slice(1) : text;
}
