import type { BenchStack } from './lib/stack.js';
export async function runSweep(_stack: BenchStack, log: (line: string) => void): Promise<unknown> {
  log('sweep: not yet');
  return undefined;
}
