/** A nullable timestamp column as ISO 8601 text; null stays null. */
export const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());
