-- A reported HTML page's own submission (failed: not media) names the submissions the fetcher made of the images
-- the page shows, so that the report router follows them all: one matched (orders issued) settles the report as
-- actioned; all settled without a match, a person assesses the page with the images scanned listed. Null for
-- everything that is not a crawled page.
alter table submissions add column embedded_submission_ids uuid[];
-- How many images the page shows (every image reference found, fetched or not: beyond the cap, refused by the
-- fetcher, inline or not http(s)), so that its case says how many were not scanned. Null as above.
alter table submissions add column embedded_images_shown integer;
