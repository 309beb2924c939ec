import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The public form's anti-abuse token, with no third party and no tracking: the page carries a token the server
 * signed (HMAC-SHA256 with `REPORT_FORM_SECRET`) with the time it was served. A post must bring one that is
 * genuine, fresh and not used before, so a script must fetch the form for every report. With JavaScript, the page
 * also proves work on the token: a counter whose SHA-256 with the token starts with `bits` zero bits; a proof
 * lifts the per-address limit (without JavaScript the form still works, within the tighter limit).
 */
export interface FormTokens {
  issue(nowMs: number): string;
  /**
   * Whether the token is genuine and fresh, without taking it ('ok', or why not): a check that costs no write, so
   * that a forged or stale token is refused before any rate limit is charged for it.
   */
  verify(token: string, nowMs: number): 'ok' | 'invalid' | 'expired';
  /**
   * 'ok', or why not: forged, expired or used already. Each token is taken once, by whichever API instance sees it
   * first (`UsedFormTokens`, shared by every instance); `used` takes it in another store of the same tokens (a
   * transaction of its own).
   */
  take(token: string, nowMs: number, used?: UsedFormTokens): Promise<'ok' | 'invalid' | 'expired' | 'used'>;
  /** Whether `solution` proves `bits` of work on `token`. */
  proves(token: string, solution: string, bits: number): boolean;
}

/** The tokens taken already, shared by every API instance (`@mod/db/reports`' form-token table). */
export interface UsedFormTokens {
  /** Takes the token's nonce once: false when it was taken before. Kept at least until `expiresAt`. */
  take(nonce: string, expiresAt: Date): Promise<boolean>;
}

export interface FormTokenOptions {
  secret: Buffer;
  used: UsedFormTokens;
  /** How long a served form may be sent. Default one hour. */
  maxAgeMs?: number;
}

/**
 * How long a used token's nonce is kept past the token's expiry: the actioner forgets expired nonces by its own
 * clock, which may run ahead of an API instance's; a nonce forgotten while an instance still takes its token as
 * fresh would let the token be used again.
 */
export const USED_TOKEN_MARGIN_MS = 15 * 60_000;

const sign = (secret: Buffer, body: string) => createHmac('sha256', secret).update(body).digest('base64url');

export function createFormTokens(o: FormTokenOptions): FormTokens {
  const maxAgeMs = o.maxAgeMs ?? 3_600_000;
  const verify = (token: string, nowMs: number): 'ok' | 'invalid' | 'expired' => {
    const parts = token.split('.');
    if (parts.length !== 3 || token.length > 200) return 'invalid';
    const [time = '', nonce = '', mac = ''] = parts;
    const expected = Buffer.from(sign(o.secret, `${time}.${nonce}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    const issuedAt = parseInt(time, 36);
    if (!Number.isFinite(issuedAt) || nowMs - issuedAt > maxAgeMs || issuedAt - nowMs > 60_000)
      return 'expired';
    return 'ok';
  };
  return {
    issue(nowMs) {
      const body = `${nowMs.toString(36)}.${randomBytes(12).toString('base64url')}`;
      return `${body}.${sign(o.secret, body)}`;
    },
    verify,
    async take(token, nowMs, used = o.used) {
      const genuine = verify(token, nowMs);
      if (genuine !== 'ok') return genuine;
      const [time = '', nonce = ''] = token.split('.');
      // Only a genuine, fresh token reaches the shared store: forged ones cost no write.
      const expiresAt = new Date(parseInt(time, 36) + maxAgeMs + USED_TOKEN_MARGIN_MS);
      return (await used.take(nonce, expiresAt)) ? 'ok' : 'used';
    },
    proves(token, solution, bits) {
      if (bits <= 0) return true;
      if (!/^[0-9]{1,12}$/.test(solution)) return false;
      return leadingZeroBits(createHash('sha256').update(`${token}:${solution}`).digest()) >= bits;
    },
  };
}

/** A token's random nonce, unique to the form served (what the used-token store keeps). */
export const formTokenNonce = (token: string): string => token.split('.')[1] ?? '';

/**
 * The Idempotency-Key a report filed with a (genuine) form token is kept under: its nonce, unique to the form
 * served. A second post of the form answers the first report again (`ReportFiling.file`).
 */
export const formTokenReplayKey = (token: string): string => `form:${formTokenNonce(token)}`;

export function leadingZeroBits(digest: Uint8Array): number {
  let n = 0;
  for (const byte of digest) {
    if (byte === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(byte) - 24;
  }
  return n;
}

/**
 * The page's script (served as /report/pow.js, never inline: the page's policy allows scripts of its own origin
 * only): one submission per press, and the proof of work. It finds the counter and fills the hidden field before
 * the form is sent; the form is sent anyway if the browser cannot (old browsers: the tighter limit applies).
 */
export const POW_SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('report-form');
  if (!form) return;
  // One report per press: a second press while the first is on its way (a double click, an impatient tap) is
  // ignored, so it cannot spend the form's one-time token and answer "expired" for a report that was filed.
  var sent = false;
  // The language button posts the form back to be shown in the other language: nothing is sent, no proof needed.
  function switching(event) { return !!event.submitter && event.submitter.name === 'switchLang'; }
  form.addEventListener('submit', function (event) {
    if (sent) { event.preventDefault(); return; }
    if (!switching(event)) sent = true;
  });
  // Back to the page from the browser's history: it may be sent again.
  window.addEventListener('pageshow', function () { sent = false; });
  if (!window.crypto || !window.crypto.subtle || !window.TextEncoder) return;
  var token = form.elements.namedItem('token');
  var proof = form.elements.namedItem('pow');
  var bits = Number(form.getAttribute('data-pow-bits')) || 0;
  var button = form.querySelector('button[type=submit]');
  if (!token || !proof || bits <= 0) return;
  function zeroBits(bytes) {
    var n = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { n += 8; continue; }
      return n + Math.clz32(bytes[i]) - 24;
    }
    return n;
  }
  var solving = null;
  function solve() {
    var encoder = new TextEncoder();
    var counter = 0;
    function step() {
      var batch = [];
      for (var i = 0; i < 256; i++, counter++) {
        batch.push(window.crypto.subtle.digest('SHA-256', encoder.encode(token.value + ':' + counter)));
      }
      var base = counter - 256;
      return Promise.all(batch).then(function (digests) {
        for (var j = 0; j < digests.length; j++) {
          if (zeroBits(new Uint8Array(digests[j])) >= bits) return String(base + j);
        }
        return step();
      });
    }
    return step();
  }
  solving = solve().then(function (found) { proof.value = found; return found; });
  form.addEventListener('submit', function (event) {
    if (event.defaultPrevented || proof.value !== '' || switching(event)) return;
    event.preventDefault();
    if (button) { button.disabled = true; button.textContent = form.getAttribute('data-working') || button.textContent; }
    solving.then(function () { form.submit(); }, function () { form.submit(); });
  });
})();
`;
