import { describe, expect, it } from 'vitest';
import { defuseFormulaCell, restoreFormulaCell } from './spreadsheet-cells.js';

describe('defuseFormulaCell / restoreFormulaCell', () => {
  const attacks = ['=HYPERLINK("http://x","click")', '+cmd|"/C calc"!A0', '-2+3', '@SUM(A1)', '\t=1', '\r=1'];
  const plain = ['', 'a=1', ' =1', "'", "'a", 'bank 7', '1+1', '\\=1'];

  it('quotes a text that starts as a formula would, and leaves any other as it is', () => {
    expect(attacks.map(defuseFormulaCell)).toEqual(attacks.map((a) => `'${a}`));
    expect(plain.map(defuseFormulaCell)).toEqual(plain);
  });

  it('counts leading quotes as part of the lead, so every text comes back exactly', () => {
    expect(defuseFormulaCell("'=1")).toBe("''=1");
    expect(defuseFormulaCell("''@x")).toBe("'''@x");
    for (const text of [...attacks, ...plain, "'=1", "''-1", "'\t", "'"]) {
      expect(restoreFormulaCell(defuseFormulaCell(text))).toBe(text);
    }
  });

  it('takes off only a quote that precedes a formula character', () => {
    expect(restoreFormulaCell("'=1")).toBe('=1');
    expect(restoreFormulaCell("''+1")).toBe("'+1");
    expect(restoreFormulaCell("'a")).toBe("'a");
    expect(restoreFormulaCell("'")).toBe("'");
    expect(restoreFormulaCell('=1')).toBe('=1');
  });
});
