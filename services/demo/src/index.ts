export { seedDemo, DEMO_KNOWN_SEEDS, type DemoKeys } from './seed.js';
export { syntheticPhoto, reencoded } from './images.js';
export { feedItem, upload, type FeedItem } from './feed.js';
