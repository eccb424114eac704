// The bench's order of tools within a round (bench/lib/order.ts): a permutation, repeatable from
// its seed, and giving a tool different neighbours from round to round (a rotation did not).
import { describe, expect, it } from 'vitest';
import { roundOrder } from '../../bench/lib/order.js';

const tools = ['ours', 'ours-node20', 'ours-tsx', 'certbot', 'certbot-debian', 'lego'];
const after = (order: string[], tool: string) => order[order.indexOf(tool) + 1];

describe('bench round order', () => {
  it('is a permutation of the tools, the same again for the same run and round', () => {
    for (let seed = 0; seed < 200; seed++) {
      const order = roundOrder(tools, `run${seed}`, 1);
      expect([...order].sort()).toEqual([...tools].sort());
      expect(roundOrder(tools, `run${seed}`, 1)).toEqual(order);
    }
  });

  it('rarely lets the same tool follow lego in all three rounds of a case', () => {
    let same = 0;
    for (let seed = 0; seed < 500; seed++) {
      const followers = [1, 2, 3].map((round) => after(roundOrder(tools, `run${seed}`, round), 'lego'));
      if (new Set(followers).size === 1) same += 1;
    }
    // By chance about 1 in 18; a rotation makes it every time.
    expect(same / 500).toBeLessThan(0.15);
  });
});
