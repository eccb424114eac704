import { layout } from './layout.js';
import type { WriteCondition } from './ports.js';

/**
 * Prefixes whose objects are written once and never replaced: every archived version stays what
 * was issued. The stack's task role allows a PutObject there only with `If-None-Match: *`
 * (lib/constructs/certificate-store.ts), and the store refuses to send one without it, so a write
 * that forgot the header fails on the local stack too (moto does not evaluate IAM conditions).
 */
export const CREATE_ONLY_PREFIXES = [layout.archivePrefix] as const;

export function isCreateOnlyKey(key: string): boolean {
  return CREATE_ONLY_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** Programmer misuse (a TypeError): a create-only key written without If-None-Match: *. */
export function assertCreateOnlyWrite(key: string, condition: WriteCondition | undefined): void {
  if (isCreateOnlyKey(key) && !(condition !== undefined && 'ifNoneMatch' in condition && condition.ifNoneMatch === '*')) {
    throw new TypeError(`${key} is create-only (${CREATE_ONLY_PREFIXES.join(', ')}): write it with condition { ifNoneMatch: '*' }, as the task role requires`);
  }
}
