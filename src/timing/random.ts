/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32.
 *
 * Every random choice in a run draws from an `Rng` derived from the scenario seed, so that the
 * same seed reproduces the same schedules. `fork` gives each actor instance its own stream, so
 * adding an instance does not shift the numbers drawn by the others.
 */
export interface Rng {
  /** Uniform in [0, 1), 32 bits of precision. */
  next(): number;
  /** Uniform integer in [0, n) for 0 < n <= 2^32. */
  int(n: number): number;
  /** Exponentially distributed with the given mean (> 0); never 0. */
  exp(mean: number): number;
  /** An independent stream identified by `streamId`; does not advance this stream. */
  fork(streamId: number | string): Rng;
}

const TWO_POW_32 = 4294967296;

/** Creates a generator from a 32-bit seed (other numbers are reduced modulo 2^32). */
export function createRng(seed: number): Rng {
  return new Xoshiro128(seed >>> 0);
}

class Xoshiro128 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(private readonly seed: number) {
    let s = seed;
    s = (s + 0x9e3779b9) | 0;
    this.a = splitmix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.b = splitmix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.c = splitmix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.d = splitmix32(s);
  }

  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  exp(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  fork(streamId: number | string): Rng {
    const id = typeof streamId === 'number' ? streamId >>> 0 : fnv1a(streamId);
    return new Xoshiro128(splitmix32(this.seed ^ splitmix32(id)));
  }

  private nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result >>> 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The splitmix32 output function: a bijective 32-bit mix. */
function splitmix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}
