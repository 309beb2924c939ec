-- Where each image a crawled page shows comes from in the page, by the image's submission id: "img" (an img,
-- picture source or lazy-loading attribute), "meta" (og:image, twitter:image, image_src), "css" (a style attribute
-- or <style> block) or "frame" (a page it frames), so that the page's case can say it. Null for everything that is
-- not a crawled page, and for pages crawled before this column.
alter table submissions add column embedded_image_sources jsonb;
