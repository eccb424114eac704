/**
 * The order in which the tools of one round run: a shuffle seeded by the run and the round. A
 * rotation (shifting the same list by one each round) moves every tool's position but keeps its
 * neighbours, so one tool always ran right after lego's four-minute 50-name rounds; a shuffle
 * gives each tool different neighbours from round to round, and the seed makes a run repeatable.
 */
export function roundOrder<T>(items: readonly T[], runSeed: string, round: number): T[] {
  const random = mulberry32(hash(`${runSeed}:${round}`));
  const order = [...items];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A small seeded PRNG (public domain, Tommy Ettinger): enough to shuffle a handful of tools. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
