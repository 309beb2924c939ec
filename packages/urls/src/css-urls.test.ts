import { describe, expect, it } from 'vitest';
import { cssImageUrls } from './css-urls.js';

const urls = (css: string, mode: 'declarations' | 'stylesheet' = 'declarations') => {
  const out: string[] = [];
  cssImageUrls(css, mode, (u) => out.push(u));
  return out;
};

describe('cssImageUrls', () => {
  it('takes url() of image-bearing properties, quoted or not, in any case and with !important', () => {
    expect(
      urls(
        `background-image: url(a.jpg); BACKGROUND: #000 URL( "b.jpg" ) no-repeat !important;` +
          ` content: url('c.png'); list-style-image:url(d.gif); list-style: square url(e.gif);` +
          ` border-image: url(f.png) 30 round; background: url(g1.jpg), linear-gradient(red, blue), url(g2.jpg)`,
      ),
    ).toEqual(['a.jpg', 'b.jpg', 'c.png', 'd.gif', 'e.gif', 'f.png', 'g1.jpg', 'g2.jpg']);
  });

  it('passes over other properties, fonts, @import, strings and comments', () => {
    expect(
      urls(
        `@import url(evil.css); @font-face { font-family: x; src: url(font.woff2) format("woff2") }
         .a { cursor: url(cursor.png), auto; mask-image: url(mask.png) }
         .b { content: "url(not-a-url.jpg)"; /* background: url(commented.jpg) */ }
         .c:hover { background: url(hover.jpg) }
         @media (min-width: 1px) { .d { background-image: url(media.jpg) } }`,
        'stylesheet',
      ),
    ).toEqual(['hover.jpg', 'media.jpg']);
  });

  it("takes a custom property's url(), shown through var(), and image-set()'s strings as well as its url()s", () => {
    expect(
      urls(
        `.a { --img: url(var.png); --Hero-2: #000 url("hero.jpg") } .b { background: var(--img) }
         .c { background-image: image-set("set1.jpg" 1x, url(set2.jpg) 2x, "set3.avif" type("image/avif")) }
         .d { background: -webkit-image-set('wk.jpg' 1x) } .e { background: linear-gradient(red, blue), "no.jpg" }
         .f { font-family: image-set("font.jpg" 1x); content: attr(x) "after.jpg" }`,
        'stylesheet',
      ),
    ).toEqual(['var.png', 'hero.jpg', 'set1.jpg', 'set2.jpg', 'set3.avif', 'wk.jpg']);
  });

  it('reads no declaration outside a rule in a stylesheet', () => {
    expect(urls(`background: url(top-level.jpg); a { background: url(in-rule.jpg) }`, 'stylesheet')).toEqual([
      'in-rule.jpg',
    ]);
  });

  it('decodes CSS escapes in property names, the url function name and the URL itself', () => {
    expect(
      urls(
        `b\\61 ckground-image: url(a\\20 b.jpg); background: \\75 rl(c\\(1\\).jpg);` +
          ` background: url("d\\"q\\".jpg"); background: url('e\\
f.jpg'); content: url(\\1F600.png)`,
      ),
    ).toEqual(['a b.jpg', 'c(1).jpg', 'd"q".jpg', 'ef.jpg', '\u{1F600}.png']);
  });

  it('drops bad urls (a space inside, a quote, a newline in a string) and recovers at their end', () => {
    expect(
      urls(
        `background: url(a b.jpg); background: url(x"y.jpg); background: url("c.jpg" d);` +
          ` background: url("bad\nstring.jpg"); background: url(ok.jpg)`,
      ),
    ).toEqual(['ok.jpg']);
  });

  it('takes an unterminated url() or string at the end of the input, as CSS does, and nothing after', () => {
    expect(urls('background: url(http://x.example/a.jpg')).toEqual(['http://x.example/a.jpg']);
    expect(urls('background: url("http://x.example/b.jpg')).toEqual(['http://x.example/b.jpg']);
    // Unterminated in the middle: the url swallows what follows up to its end, as a browser reads it.
    expect(urls('background: url(a.jpg; content: url(b.jpg)')).toEqual([]);
    expect(urls('background: url(')).toEqual(['']);
    expect(urls('background: url(a\\')).toEqual(['a\ufffd']);
    expect(urls('/* never closed background: url(a.jpg)')).toEqual([]);
  });

  it('keeps a data: URI whole', () => {
    const data = 'data:image/png;base64,iVBORw0KGgo=';
    expect(urls(`background:url(${data})`)).toEqual([data]);
    expect(urls(`background:url( '${data}' )`)).toEqual([data]);
  });

  it('is linear on hostile input: a megabyte of url(, quotes, escapes, braces and colons', () => {
    for (const unit of ['url(', 'background:url(a', '\\', '"', '{background:', ':::', 'u\\72l(', '/*']) {
      const css = unit.repeat(Math.ceil((1 << 20) / unit.length));
      expect(() => urls(css, 'stylesheet')).not.toThrow();
      expect(() => urls(css)).not.toThrow();
    }
    // A million declarations each naming an image: each is read once.
    expect(urls('background:url(a);'.repeat(100_000))).toHaveLength(100_000);
  });
});
