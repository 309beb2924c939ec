import { describe, expect, it } from 'vitest';
import { runModctl } from './cli.js';
import { bufferedIo, type Command } from './command.js';
import { terminalSafe } from './terminal-text.js';

const SPOOF = 'invoice\u202eexe.pdf\u2066\u0085\u009b31m\u001b[2J\r';

/** A command printing text a partner chose, on stdout as JSON and on stderr in an error. */
const echo: Command = {
  name: 'echo',
  summary: 'prints partner text',
  usage: 'usage: modctl echo',
  run: (_argv, io) => {
    io.stdout(JSON.stringify({ name: SPOOF }));
    io.stderr(JSON.stringify({ error: { code: 'MOD_ERR_X', message: `refused ${SPOOF}` } }));
    return Promise.resolve(1);
  },
};

describe('what modctl prints', () => {
  it('escapes control and bidi characters of any command, and the JSON reads back the same', async () => {
    // JSON.stringify leaves C1 controls and bidi overrides raw: an operator's terminal showed a spoofed line.
    const { out, err, io } = bufferedIo();
    expect(await runModctl([echo], ['echo'], io)).toBe(1);
    for (const line of [...out, ...err]) expect(terminalSafe(line)).toBe(line); // nothing left to escape
    expect(out).toEqual(['{"name":"invoice\\u202eexe.pdf\\u2066\\u0085\\u009b31m\\u001b[2J\\r"}']);
    expect((JSON.parse(out[0] ?? '') as { name: string }).name).toBe(SPOOF);
    expect((JSON.parse(err[0] ?? '') as { error: { message: string } }).error.message).toBe(
      `refused ${SPOOF}`,
    );
  });

  it('keeps tab and line feed of its own text (usage), and escapes the rest', () => {
    expect(terminalSafe('a\tb\nc')).toBe('a\tb\nc');
    expect(terminalSafe('x\u202ay\u2069\u007f')).toBe('x\\u202ay\\u2069\\u007f');
  });
});
