/**
 * Reusable output buffer of a search: parallel arrays of slots and distances, grown on demand and never
 * shrunk, so a steady stream of queries allocates nothing.
 */
export class SearchHits {
  slots: Int32Array;
  distances: Uint16Array;
  count = 0;

  constructor(initialCapacity = 64) {
    this.slots = new Int32Array(Math.max(1, initialCapacity));
    this.distances = new Uint16Array(Math.max(1, initialCapacity));
  }

  clear(): void {
    this.count = 0;
  }

  push(slot: number, distance: number): void {
    if (this.count === this.slots.length) {
      const slots = new Int32Array(this.slots.length * 2);
      slots.set(this.slots);
      const distances = new Uint16Array(this.slots.length * 2);
      distances.set(this.distances);
      this.slots = slots;
      this.distances = distances;
    }
    this.slots[this.count] = slot;
    this.distances[this.count] = distance;
    this.count++;
  }
}
