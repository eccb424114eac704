import type { BenchStack } from './lib/stack.js';
export async function runResponder(_stack: BenchStack, log: (line: string) => void): Promise<unknown> {
  log('responder: not yet');
  return undefined;
}
