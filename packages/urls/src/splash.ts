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

function section(texts: Texts, options: SplashPageOptions): string {
  const authority = options.authorityName === undefined ? undefined : escapeHtml(options.authorityName);
  const href = options.appealUrl === undefined ? null : safeHref(options.appealUrl);
  const email =
    options.appealEmail !== undefined && EMAIL.test(options.appealEmail) ? options.appealEmail : null;
  const appeal: string[] = [];
  if (href !== null) appeal.push(`<a href="${escapeHtml(href)}">${texts.appealLink}</a>`);
  if (email !== null) {
    appeal.push(`${texts.appealMail} <a href="mailto:${escapeHtml(email)}">${escapeHtml(email)}</a>`);
  }
  const appealText = appeal.length === 0 ? texts.noAppeal : `${texts.appealIntro} ${appeal.join(' ')}`;
  return [
    `<section lang="${texts.lang}">`,
    `<h1>${texts.title}</h1>`,
    `<p>${texts.why(authority)}</p>`,
    `<p>${texts.note}</p>`,
    `<h2>${texts.appealHeading}</h2>`,
    `<p>${appealText}</p>`,
    `<p class="ref">${texts.reference}: <code>${escapeHtml(options.referenceId)}</code></p>`,
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
  const footer =
    options.operatorName === undefined ? '' : `<footer>${escapeHtml(options.operatorName)}</footer>\n`;
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
    ...order.map((lang) => section(TEXTS[lang], options)),
    footer + '</body>',
    '</html>',
    '',
  ].join('\n');
}
