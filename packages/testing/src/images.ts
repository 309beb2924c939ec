/**
 * Images that declare more than they hold (`pngDeclaring`, `interlaced16BitBomb`): kept in
 * `@mod/contracts/declared-images`, where the tests of `@mod/hashing` reach them too without a dependency cycle.
 */
export {
  apngHidingDefault,
  interlaced16BitBomb,
  jpegWithScans,
  pngDeclaring,
  tiffDeclaring,
} from '@mod/contracts/declared-images';
