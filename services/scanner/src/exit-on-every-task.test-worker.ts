/**
 * A piscina task for scan-crash.test.ts only, never loaded by the service: its worker exits on every task before
 * answering, as every worker of a broken pool would (a native library that aborts, limits no picture fits in), the
 * probe image's included. Node loads it as it is (its types stripped).
 */
export default function exitOnEveryTask(): never {
  process.exit(70);
}
