import { ReportCategories, type ReportStatus } from '@mod/db/reports';
import { escapeHtml } from '@mod/urls';
import { REPORT_LIMITS } from './intake.js';
import { REPORT_TEXTS, type Lang, type ReportTexts } from './texts.js';

/** HTML-escapes text for element content and quoted attributes (as the walled-garden page does). */
const esc = escapeHtml;

/** What a person typed, shown again when the form is refused (never the honeypot, never stored). */
export interface FormValues {
  urls?: string;
  seenWhere?: string;
  category?: string;
  description?: string;
  name?: string;
  phone?: string;
  email?: string;
  consentContact?: boolean;
  consentFollowUp?: boolean;
}

const other = (lang: Lang): Lang => (lang === 'vi' ? 'en' : 'vi');

/**
 * The other language, as a link; on the form, a button that posts the form back (`switchLang`) to be shown again in
 * that language with what was typed (never in the link: the text is personal and links land in logs).
 */
function languageSwitch(lang: Lang, onForm: boolean): string {
  const to = other(lang);
  const label = esc(REPORT_TEXTS[lang].otherLanguage);
  return onForm
    ? `<button type="submit" form="report-form" formaction="/report?lang=${to}" formnovalidate name="switchLang" value="${to}" lang="${to}">${label}</button>`
    : `<a href="?lang=${to}" hreflang="${to}" lang="${to}">${label}</a>`;
}

function layout(lang: Lang, title: string, body: string, scripts = '', onForm = false): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/report/report.css">
${scripts}</head>
<body>
<header><nav aria-label="${lang === 'vi' ? 'Ngôn ngữ' : 'Language'}">${languageSwitch(lang, onForm)}</nav></header>
<main>
<h1>${esc(title)}</h1>
<p class="urgent" role="note">${esc(REPORT_TEXTS[lang].urgent)}</p>
${body}
</main>
</body>
</html>
`;
}

function field(id: string, label: string, control: string, hint?: string): string {
  const hintHtml = hint === undefined ? '' : `<p class="hint" id="${id}-hint">${esc(hint)}</p>`;
  return `<div class="field"><label for="${id}">${esc(label)}</label>${hintHtml}${control}</div>`;
}

/** The report form (works without JavaScript; `pow.js` adds the proof of work when it can run). */
export function renderReportForm(o: {
  lang: Lang;
  token: string;
  powBits: number;
  values?: FormValues;
  error?: { code: string; detail: string };
  contactEnabled: boolean;
}): string {
  const t: ReportTexts = REPORT_TEXTS[o.lang];
  const v = o.values ?? {};
  const error =
    o.error === undefined
      ? ''
      : `<div class="error" role="alert" id="form-error"><h2>${esc(t.errorTitle)}</h2><p>${esc(
          t.errors[o.error.code] ?? o.error.detail,
        )}</p><p class="code">${esc(o.error.code)}</p></div>`;
  const categories = ReportCategories.map(
    (c) =>
      `<div class="choice"><input type="radio" name="category" id="category-${c}" value="${c}"${
        v.category === c ? ' checked' : ''
      } required><label for="category-${c}">${esc(t.categories[c])}</label></div>`,
  ).join('');
  const contact = o.contactEnabled
    ? `<fieldset><legend>${esc(t.contactLegend)}</legend><p class="hint">${esc(t.contactIntro)}</p>
${field('name', t.nameLabel, `<input id="name" name="name" autocomplete="name" maxlength="${REPORT_LIMITS.maxContactField}" value="${esc(v.name ?? '')}">`)}
${field('phone', t.phoneLabel, `<input id="phone" name="phone" type="tel" autocomplete="tel" maxlength="30" value="${esc(v.phone ?? '')}">`)}
${field('email', t.emailLabel, `<input id="email" name="email" type="email" autocomplete="email" maxlength="${REPORT_LIMITS.maxContactField}" value="${esc(v.email ?? '')}">`)}
<div class="choice"><input type="checkbox" id="consent-contact" name="consentContact" value="yes"${v.consentContact === true ? ' checked' : ''}><label for="consent-contact">${esc(t.consentContact)}</label></div>
<div class="choice"><input type="checkbox" id="consent-follow-up" name="consentFollowUp" value="yes"${v.consentFollowUp === true ? ' checked' : ''}><label for="consent-follow-up">${esc(t.consentFollowUp)}</label></div>
</fieldset>`
    : '';
  const body = `<p>${esc(t.intro)}</p>
<p class="no-files"><strong>${esc(t.noFiles)}</strong></p>
${error}
<form id="report-form" method="post" action="/report?lang=${o.lang}" accept-charset="utf-8" data-pow-bits="${o.powBits}" data-working="${esc(t.powWorking)}">
<input type="hidden" name="lang" value="${o.lang}">
<input type="hidden" name="token" value="${esc(o.token)}">
<input type="hidden" name="pow" value="">
${o.error === undefined ? '' : `<input type="hidden" name="refused" value="${esc(o.error.code)}">`}
${field('urls', t.urlsLabel, `<textarea id="urls" name="urls" rows="4" required aria-describedby="urls-hint" spellcheck="false" autocapitalize="off" inputmode="url">${esc(v.urls ?? '')}</textarea>`, t.urlsHint)}
${field('seen-where', t.seenWhereLabel, `<input id="seen-where" name="seenWhere" maxlength="${REPORT_LIMITS.maxSeenWhere}" aria-describedby="seen-where-hint" value="${esc(v.seenWhere ?? '')}">`, t.seenWhereHint)}
<fieldset><legend>${esc(t.categoryLabel)}</legend>${categories}</fieldset>
${field('description', t.descriptionLabel, `<textarea id="description" name="description" rows="5" maxlength="${REPORT_LIMITS.maxDescription}" aria-describedby="description-hint">${esc(v.description ?? '')}</textarea>`, t.descriptionHint)}
${contact}
<div class="trap" aria-hidden="true"><label for="website">${esc(t.honeypotLabel)}</label><input id="website" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">${esc(t.submit)}</button>
</form>
<p><a href="/report/status?lang=${o.lang}">${esc(t.checkStatusLink)}</a></p>`;
  return layout(o.lang, t.title, body, '<script src="/report/pow.js" defer></script>\n', true);
}

/** After a report is filed: its tracking code, shown once. */
export function renderReportSent(lang: Lang, code: string): string {
  const t = REPORT_TEXTS[lang];
  const body = `<div class="sent" role="status"><p>${esc(t.sentBody)}</p>
<p>${esc(t.codeLabel)}: <strong class="tracking-code" id="tracking-code">${esc(code)}</strong></p>
<p>${esc(t.keepCode)}</p></div>
<form method="post" action="/report/status"><input type="hidden" name="lang" value="${lang}"><input type="hidden" name="code" value="${esc(code)}"><button type="submit">${esc(t.statusLookup)}</button></form>
<p><a href="/report?lang=${lang}">${esc(t.newReportLink)}</a></p>`;
  return layout(lang, t.sentTitle, body);
}

/** The status page: a code to look up, and the coarse status of the report it names. */
export function renderReportStatus(o: {
  lang: Lang;
  code?: string;
  found?: { status: ReportStatus; receivedAt: Date } | null;
  /** Past the look-up limit: nothing was looked up. */
  limited?: boolean;
  timeZone: string;
}): string {
  const t = REPORT_TEXTS[o.lang];
  let result = '';
  if (o.limited === true) result = `<p class="error" role="alert">${esc(t.statusLimited)}</p>`;
  else if (o.found === null) result = `<p class="error" role="alert">${esc(t.statusUnknown)}</p>`;
  else if (o.found !== undefined) {
    const s = t.statuses[o.found.status];
    const received = new Intl.DateTimeFormat(o.lang === 'vi' ? 'vi-VN' : 'en-GB', {
      dateStyle: 'long',
      timeZone: o.timeZone,
    }).format(o.found.receivedAt);
    result = `<div class="status" role="status" data-status="${o.found.status}"><p class="status-label" id="report-status">${esc(s.label)}</p>
<p>${esc(s.explain)}</p><p>${esc(t.statusReceivedAt)}: ${esc(received)}</p></div>`;
  }
  const body = `${result}
<form method="post" action="/report/status">
<input type="hidden" name="lang" value="${o.lang}">
${field('code', t.statusCodeLabel, `<input id="code" name="code" required autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="20" value="${esc(o.code ?? '')}">`)}
<button type="submit">${esc(t.statusLookup)}</button>
</form>
<p><a href="/report?lang=${o.lang}">${esc(t.newReportLink)}</a></p>`;
  return layout(o.lang, t.statusTitle, body);
}

/** The pages' only style sheet (same origin: the policy forbids inline styles). */
export const REPORT_CSS = `*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
header{display:flex;justify-content:flex-end;padding:.5rem 1rem;background:#0b3d6e}
header a{color:#fff}
header button{width:auto;min-height:44px;padding:0 .25rem;background:none;color:#fff;font-weight:400;text-decoration:underline}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;line-height:1.25}
a{color:#0645ad}
.urgent{padding:.5rem .75rem;border-left:4px solid #b00020;background:#fdecea}
.no-files{padding:.5rem .75rem;background:#fff4ce;border-left:4px solid #8a6100}
.field{margin:1rem 0}
label{display:block;font-weight:600}
.hint{margin:.25rem 0;color:#4a4a4a;font-size:.9rem}
input,textarea,button{font:inherit;width:100%;padding:.6rem;border:1px solid #595959;border-radius:4px}
textarea{resize:vertical}
fieldset{margin:1rem 0;border:1px solid #8c8c8c;border-radius:4px}
legend{font-weight:600;padding:0 .25rem}
.choice{display:flex;gap:.5rem;align-items:flex-start;margin:.4rem 0}
.choice input{width:auto;margin-top:.35rem}
.choice label{font-weight:400}
button{background:#0b3d6e;color:#fff;border:0;font-weight:600;cursor:pointer;min-height:44px}
button:disabled{background:#595959}
.trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.error{padding:.5rem .75rem;border:2px solid #b00020;border-radius:4px}
.error h2{font-size:1.1rem;margin:0}
.code{font-family:ui-monospace,monospace;font-size:.85rem;color:#4a4a4a}
.sent,.status{padding:.75rem;border:2px solid #1b5e20;border-radius:4px}
.tracking-code{font-family:ui-monospace,monospace;font-size:1.4rem;letter-spacing:.1em}
.status-label{font-size:1.25rem;font-weight:700}
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
`;
