/**
 * A small seeded PRNG (sfc32), so the core and the simulator are reproducible.
 * Not for cryptography.
 */
/** Returns numbers uniform in [0, 1). */
export type Prng = () => number;

/** Hashes a string or number into 32-bit seed words (FNV-1a, then splitmix-style mixing). */
function seedWords(seed: string | number): [number, number, number, number] {
  let h = 0x811c9dc5;
  const s = typeof seed === 'number' ? `n:${seed}` : `s:${seed}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    h = (h + 0x9e3779b9) | 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    out.push((z ^ (z >>> 16)) >>> 0);
  }
  return out as [number, number, number, number];
}

/** Creates a deterministic PRNG from a seed. */
export function createPrng(seed: string | number): Prng {
  let [a, b, c, d] = seedWords(seed);
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs: sfc32 needs a few rounds to mix a weak seed.
  for (let i = 0; i < 12; i++) next();
  return next;
}
