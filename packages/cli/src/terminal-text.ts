import type { CommandIo } from './command.js';

/**
 * What no line modctl prints may hold raw: the characters `@mod/contracts` refuses in one-line text
 * (`UNSAFE_TEXT_CHARACTERS`) but tab and line feed, which modctl's own usage text holds. C0 controls and DEL move
 * the cursor or erase; C1 controls (U+009B is a terminal's CSI) drive it; the bidi embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069) make a line display other than it is. JSON.stringify leaves C1 and bidi raw, and a
 * dead letter's key, a reason or any text a partner chose reaches modctl's output: an operator would read a spoofed
 * line.
 */
// eslint-disable-next-line no-control-regex -- these control characters are what it finds
const TERMINAL_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `line` with each of those characters as a `\uXXXX` escape: a JSON line stays the same JSON (the escape is JSON's,
 * and outside strings JSON has none of them), and the operator sees what is there.
 */
export function terminalSafe(line: string): string {
  return line.replace(TERMINAL_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `io` writing every line through {@link terminalSafe}: whatever a command prints, partner text is shown escaped. */
export function terminalSafeIo(io: CommandIo): CommandIo {
  return {
    ...io,
    stdout: (line) => io.stdout(terminalSafe(line)),
    stderr: (line) => io.stderr(terminalSafe(line)),
  };
}
