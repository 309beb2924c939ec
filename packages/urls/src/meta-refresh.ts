import { isHtmlSpace } from './html-scan.js';

/**
 * The address a `<meta http-equiv="refresh" content>` sends the browser on to, as HTML's shared declarative refresh
 * steps read it (`5; url='x'`, `0;URL=x`, `1, x`...), unresolved; null when the content is not a refresh or names
 * no address (a refresh of the page itself). A page can show nothing and send its visitor on at once to the page
 * that shows the images, as a redirect does.
 */
export function metaRefreshUrl(content: string): string | null {
  const at = (i: number) => content.charCodeAt(i);
  const skipSpace = (i: number) => {
    while (i < content.length && isHtmlSpace(at(i))) i++;
    return i;
  };
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  let i = skipSpace(0);
  // The delay: digits, or a dot-led fraction; digits and dots after it are passed over.
  if (!isDigit(at(i)) && at(i) !== 0x2e) return null;
  while (i < content.length && (isDigit(at(i)) || at(i) === 0x2e)) i++;
  if (i >= content.length) return null;
  if (at(i) !== 0x3b && at(i) !== 0x2c && !isHtmlSpace(at(i))) return null;
  i = skipSpace(i);
  if (at(i) === 0x3b || at(i) === 0x2c) i++;
  i = skipSpace(i);
  if (i >= content.length) return null;
  // `url =` before the address is optional (without its `=`, `url...` is the address itself).
  let start = i;
  const lower = (k: number) => at(k) | 0x20;
  if (lower(i) === 0x75 && lower(i + 1) === 0x72 && lower(i + 2) === 0x6c) {
    const eq = skipSpace(i + 3);
    if (at(eq) === 0x3d) start = skipSpace(eq + 1);
  }
  // Skip quotes: a quoted address ends at its closing quote.
  let url = content.slice(start);
  const quote = url[0];
  if (quote === '"' || quote === "'") {
    url = url.slice(1);
    const end = url.indexOf(quote);
    if (end !== -1) url = url.slice(0, end);
  }
  url = url.trim();
  return url === '' ? null : url;
}
