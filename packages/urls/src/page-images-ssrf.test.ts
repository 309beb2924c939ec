import { describe, expect, it } from 'vitest';
import { extractPageImages } from './page-images.js';
import { harness, useFetcherServers } from './fetcher.test-helper.js';

const servers = useFetcherServers();

describe("a hostile page's images get the vetting of any fetched URL", () => {
  it('never dials a private address, however the page names it', async () => {
    const to = (target: string) =>
      `http://public.test:${servers.port}/redirect?to=${encodeURIComponent(target)}`;
    const html = [
      `<img src="http://127.0.0.1:${servers.port}/img.jpg">`,
      `<img src="http://[::1]:${servers.port}/img.jpg">`,
      `<img src="http://[::ffff:7f00:1]:${servers.port}/img.jpg">`,
      `<img src="http://2130706433:${servers.port}/img.jpg">`,
      `<img srcset="http://public.test:${servers.port}/img.jpg 1x, //metadata.test:${servers.port}/latest/meta-data/ 2x">`,
      `<meta property="og:image" content="http://v6linklocal.test:${servers.port}/img.jpg">`,
      // A public image that redirects to a private one, and a name that resolves public, then private.
      `<img src="${to(`http://loopback.test:${servers.port}/img.jpg`)}">`,
      `<link rel="image_src" href="http://flip.test:${servers.port}/self-then-img">`,
      `<img src="file:///etc/passwd"><img src="gopher://127.0.0.1:${servers.port}/"><img src="http://u:p@public.test/">`,
    ].join('');
    // The base comes after the images in the text, yet applies to the whole document (a browser's reading).
    const found = extractPageImages(
      `${html}<base href="http://ten.test:${servers.port}/"><img src="rel.jpg">`,
      `http://public.test:${servers.port}/page`,
      { max: 16 },
    );
    expect(found.refused).toMatchObject({ scheme: 2, credentials: 1, 'bad-url': 0 });
    const h = harness();
    const outcomes = await Promise.all(found.images.map((url) => h.fetch(url)));
    // The srcset's largest candidate is the metadata service (protocol-relative): nothing is fetched.
    expect(outcomes.filter((o) => o.ok)).toEqual([]);
    expect(outcomes.map((o) => !o.ok && o.reason)).toEqual(found.images.map(() => 'blocked-address'));
    // 2130706433 is 127.0.0.1 once canonical: one of the eight.
    expect(found.images).toHaveLength(8);
    expect(servers.privateRequestCount()).toBe(0);
    // The public server answered the redirect and flip.test's first (public) resolution, and no image.
    expect(servers.publicServer.requests.map((r) => r.url.split('?')[0]).sort()).toEqual([
      '/redirect',
      '/self-then-img',
    ]);
  });

  it("never dials a private address for a page's CSS images or framed pages, nor loops on a frame's redirects", async () => {
    const to = (target: string) =>
      `http://public.test:${servers.port}/redirect?to=${encodeURIComponent(target)}`;
    const found = extractPageImages(
      `<style>
         .a { background: url(http://[::ffff:127.0.0.1]:${servers.port}/a.jpg) }
         .b { background-image: image-set("http://0x7f.1:${servers.port}/b.jpg" 1x) }
         .c { --bg: url(//metadata.test:${servers.port}/latest/meta-data/) }
         .d { content: url(${to(`http://[::1]:${servers.port}/d.jpg`)}) }
       </style>
       <div style="background:url(http://mapped-hex.test:${servers.port}/e.jpg)"></div>
       <div style="list-style-image:url(http://public.test:25/f.jpg)"></div>
       <iframe src="http://nat64.test:${servers.port}/frame.html"></iframe>
       <iframe src="${to(`http://oneninetwo.test:${servers.port}/frame.html`)}"></iframe>
       <iframe src="http://flip.test:${servers.port}/self-then-img"></iframe>
       <frame src="http://[fe80::1]:${servers.port}/frame.html">`,
      `http://public.test:${servers.port}/page`,
      { max: 16, maxFrames: 16 },
    );
    expect(found.images).toHaveLength(6);
    expect(found.frames).toHaveLength(4);
    const h = harness();
    const images = await Promise.all(found.images.map((url) => h.fetch(url)));
    const frames = await Promise.all(found.frames.map(({ url }) => h.fetchPage(url)));
    expect([...images, ...frames].map((o) => !o.ok && o.reason)).toEqual(
      [...images, ...frames].map(() => 'blocked-address'),
    );
    expect(servers.privateRequestCount()).toBe(0);
    // Only redirects and flip.test's first (public) resolution were answered, by the public server.
    expect(servers.publicServer.requests.map((r) => r.url.split('?')[0]).sort()).toEqual([
      '/redirect',
      '/redirect',
      '/self-then-img',
    ]);
    // A frame that redirects forever is given up after the redirect bound, each hop vetted.
    const looped = await h.fetchPage(`http://public.test:${servers.port}/loop`);
    expect(looped).toMatchObject({ ok: false, reason: 'too-many-redirects' });
    expect(!looped.ok && looped.redirects).toHaveLength(5);
  });
});
