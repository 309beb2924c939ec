import { describe, expect, it } from 'vitest';
import { checkReport, type ReportDraft } from './intake.js';

const draft = (over: Partial<ReportDraft> = {}): ReportDraft => ({
  urls: ['https://intake.example/a.jpg'],
  category: 'other',
  ...over,
});

/** The refusal code of a draft, or null when it passes. */
const refusal = (d: ReportDraft): string | null => {
  try {
    checkReport(d);
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? 'not coded';
  }
};

describe('checkReport: characters of free text', () => {
  const refused = {
    'C0 bell': '\u0007',
    DEL: '\u007f',
    'C1 first': '\u0080',
    'C1 NEL': '\u0085',
    'C1 CSI': '\u009b',
    'C1 last': '\u009f',
    LRE: '\u202a',
    RLE: '\u202b',
    PDF: '\u202c',
    LRO: '\u202d',
    RLO: '\u202e',
    LRI: '\u2066',
    RLI: '\u2067',
    FSI: '\u2068',
    PDI: '\u2069',
  };

  it.each(Object.entries(refused))(
    'refuses %s in the description, where it was seen and each contact field with the coded 400',
    (_, ch) => {
      for (const d of [
        draft({ description: `ảnh ở đây ${ch}gpj.exe` }),
        draft({ seenWhere: `nhóm ${ch}Zalo` }),
        draft({ contact: { name: `Lê ${ch}Văn` }, consents: { contact: true } }),
        draft({ contact: { email: `a${ch}@example.vn` }, consents: { contact: true } }),
      ])
        expect(refusal(d)).toBe('MOD_ERR_API_REPORT_TOO_LONG');
      let status = 0;
      try {
        checkReport(draft({ description: ch + 'x' }));
      } catch (err) {
        status = (err as { statusCode: number }).statusCode;
      }
      expect(status).toBe(400);
    },
  );

  it('keeps Vietnamese letters (composed or not), emoji with joiners, other scripts, tabs and line breaks', () => {
    const vietnamese = 'Tôi thấy ảnh của một đứa trẻ trên nhóm Facebook "Hội phụ huynh Đà Nẵng" lúc 21 giờ.';
    const description = [
      vietnamese,
      vietnamese.normalize('NFD'),
      'Gia đình 👨‍👩‍👧‍👦, cờ 🇻🇳, 👍🏽, ❤️',
      'עברית والعربية 中文',
      'cột 1\tcột 2\r\ndòng mới\nnữa',
    ].join('\n');
    const checked = checkReport(
      draft({
        description,
        seenWhere: 'Nhóm Zalo "Mẹ và bé Hà Nội"',
        contact: { name: 'Nguyễn Thị Ánh Tuyết', phone: '+84 912 345 678', email: 'tuyết@ví-dụ.vn' },
        consents: { contact: true, followUp: true },
      }),
    );
    expect(checked.description).toBe(description);
    expect(checked.seenWhere).toBe('Nhóm Zalo "Mẹ và bé Hà Nội"');
    expect(checked.contact).toEqual({
      name: 'Nguyễn Thị Ánh Tuyết',
      phone: '+84 912 345 678',
      email: 'tuyết@ví-dụ.vn',
    });
  });
});
