/**
 * What an operator may say on the page in one language. Plain text (never HTML: everything is escaped); an
 * absent field falls back to the shared option of the same name, then to the built-in text.
 */
export interface SplashTexts {
  /** Who runs the block (the ISP, or the national operator of the walled garden); shown in the footer. */
  readonly operatorName?: string;
  /** Who ordered the block; quoted in the built-in "why" sentence. */
  readonly authorityName?: string;
  /** Replaces the built-in paragraph saying why the page is blocked. */
  readonly whyBlocked?: string;
  /** Replaces the built-in paragraph saying how to appeal (the links and the reference follow it). */
  readonly howToAppeal?: string;
  /** Another way to appeal, as text (e.g. a hotline number), shown after the links. */
  readonly appealContact?: string;
  /** Appeal form for readers of this language (http or https only). */
  readonly appealUrl?: string;
  readonly appealEmail?: string;
}

/** What the walled-garden page needs to say. All text is escaped; nothing is loaded from elsewhere. */
export interface SplashPageOptions {
  /** Shown to the user and quoted in an appeal (e.g. the blocking order id). */
  readonly referenceId: string;
  /** Who ordered the block, e.g. "Cục An toàn thông tin" / "the national hotline". Optional. */
  readonly authorityName?: string;
  /** Where to appeal: a URL (shown as a link) and/or an e-mail address. At least one is recommended. */
  readonly appealUrl?: string;
  readonly appealEmail?: string;
  /** The ISP's name, shown in the footer. */
  readonly operatorName?: string;
  /** Which language leads the page; both are always shown. Default `vi`. */
  readonly primaryLanguage?: 'vi' | 'en';
  /** Per-language texts; each field overrides the shared option above for that language. */
  readonly texts?: { readonly vi?: SplashTexts; readonly en?: SplashTexts };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** HTML-escapes text for element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** Only http(s) and mailto links are rendered, so an option can never smuggle in `javascript:`. */
function safeHref(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

const EMAIL = /^[^\s@<>"']+@[^\s@<>"']+$/;

interface Texts {
  readonly lang: 'vi' | 'en';
  readonly title: string;
  readonly why: (authority: string | undefined) => string;
  readonly note: string;
  readonly appealHeading: string;
  readonly appealIntro: string;
  readonly appealLink: string;
  readonly appealMail: string;
  readonly noAppeal: string;
  readonly reference: string;
}

const TEXTS: Readonly<Record<'vi' | 'en', Texts>> = {
  vi: {
    lang: 'vi',
    title: 'Trang này đã bị chặn',
    why: (authority) =>
      `Nhà cung cấp dịch vụ Internet của bạn đã chặn truy cập vào trang này vì trang có thể chứa hình ảnh xâm hại tình dục trẻ em${authority === undefined ? '' : `, theo yêu cầu của ${authority}`}.`,
    note: 'Bạn không bị nghi ngờ làm điều gì sai. Nội dung bị chặn chưa được tải về thiết bị của bạn.',
    appealHeading: 'Khiếu nại',
    appealIntro: 'Nếu bạn cho rằng trang này bị chặn nhầm, hãy gửi khiếu nại kèm mã tham chiếu bên dưới.',
    appealLink: 'Gửi khiếu nại trực tuyến',
    appealMail: 'hoặc gửi thư điện tử tới',
    noAppeal: 'Hãy liên hệ nhà cung cấp dịch vụ Internet của bạn và nêu mã tham chiếu bên dưới.',
    reference: 'Mã tham chiếu',
  },
  en: {
    lang: 'en',
    title: 'This page has been blocked',
    why: (authority) =>
      `Your internet service provider has blocked access to this page because it may contain child sexual abuse imagery${authority === undefined ? '' : `, at the request of ${authority}`}.`,
    note: 'You are not suspected of doing anything wrong. The blocked content has not been downloaded to your device.',
    appealHeading: 'Appeal',
    appealIntro: 'If you believe this page was blocked in error, send an appeal quoting the reference below.',
    appealLink: 'Appeal online',
    appealMail: 'or e-mail',
    noAppeal: 'Contact your internet service provider and quote the reference below.',
    reference: 'Reference',
  },
};

/** The options for one language: its own texts first, then the shared options. */
function resolved(options: SplashPageOptions, lang: 'vi' | 'en'): SplashTexts {
  const own = options.texts?.[lang] ?? {};
  return {
    operatorName: own.operatorName ?? options.operatorName,
    authorityName: own.authorityName ?? options.authorityName,
    whyBlocked: own.whyBlocked,
    howToAppeal: own.howToAppeal,
    appealContact: own.appealContact,
    appealUrl: own.appealUrl ?? options.appealUrl,
    appealEmail: own.appealEmail ?? options.appealEmail,
  };
}

function section(texts: Texts, referenceId: string, t: SplashTexts): string {
  const authority = t.authorityName === undefined ? undefined : escapeHtml(t.authorityName);
  const href = t.appealUrl === undefined ? null : safeHref(t.appealUrl);
  const email = t.appealEmail !== undefined && EMAIL.test(t.appealEmail) ? t.appealEmail : null;
  const appeal: string[] = [];
  if (href !== null) appeal.push(`<a href="${escapeHtml(href)}">${texts.appealLink}</a>`);
  if (email !== null) {
    appeal.push(`${texts.appealMail} <a href="mailto:${escapeHtml(email)}">${escapeHtml(email)}</a>`);
  }
  if (t.appealContact !== undefined) appeal.push(escapeHtml(t.appealContact));
  const intro = t.howToAppeal === undefined ? texts.appealIntro : escapeHtml(t.howToAppeal);
  const appealText = appeal.length === 0 ? texts.noAppeal : `${intro} ${appeal.join(' ')}`;
  const why = t.whyBlocked === undefined ? texts.why(authority) : escapeHtml(t.whyBlocked);
  return [
    `<section lang="${texts.lang}">`,
    `<h1>${texts.title}</h1>`,
    `<p>${why}</p>`,
    `<p>${texts.note}</p>`,
    `<h2>${texts.appealHeading}</h2>`,
    `<p>${appealText}</p>`,
    `<p class="ref">${texts.reference}: <code>${escapeHtml(referenceId)}</code></p>`,
    `</section>`,
  ].join('\n');
}

/**
 * The walled-garden page an RPZ or proxy sends blocked users to: why the page is blocked and how to appeal,
 * in Vietnamese and English, with a reference id. Self-contained (inline CSS, no scripts, images, fonts or
 * other external resources; a CSP meta forbids loading any). Pure: same options, same bytes.
 */
export function renderSplashPage(options: SplashPageOptions): string {
  const order: Array<'vi' | 'en'> = options.primaryLanguage === 'en' ? ['en', 'vi'] : ['vi', 'en'];
  const primary = TEXTS[order[0]!];
  const operators = [...new Set(order.map((lang) => resolved(options, lang).operatorName))].filter(
    (name): name is string => name !== undefined && name !== '',
  );
  const footer =
    operators.length === 0
      ? ''
      : `<footer>${operators.map((name) => escapeHtml(name)).join(' / ')}</footer>\n`;
  return [
    '<!doctype html>',
    `<html lang="${primary.lang}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; form-action 'none'">`,
    '<meta name="robots" content="noindex">',
    `<title>${TEXTS.vi.title} / ${TEXTS.en.title}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}' +
      'section+section{border-top:1px solid #ccc;margin-top:2rem;padding-top:1rem}h1{font-size:1.5rem}h2{font-size:1.1rem}' +
      '.ref code{font-size:1.1rem;background:#f3f3f3;padding:.1rem .3rem}footer{margin-top:2rem;color:#666;font-size:.9rem}</style>',
    '</head>',
    '<body>',
    ...order.map((lang) => section(TEXTS[lang], options.referenceId, resolved(options, lang))),
    footer + '</body>',
    '</html>',
    '',
  ].join('\n');
}
