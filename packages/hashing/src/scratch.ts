/** Work buffers reused across calls (hashing is synchronous, so one set per thread is enough). */
export class Scratch {
  private buffer = new Float32Array(0);
  get(length: number): Float32Array {
    if (this.buffer.length < length) this.buffer = new Float32Array(length);
    return this.buffer;
  }
}
