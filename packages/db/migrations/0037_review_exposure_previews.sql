-- Previews shown per person and day, beside the full-image reveals: a preview (greyscale, reduced, blurred by
-- default) is still an exposure to the media, and reviewer wellbeing programmes count every one.
alter table review_exposure add column previews integer not null default 0 check (previews >= 0);
