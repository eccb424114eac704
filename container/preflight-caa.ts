// The pre-flight's CAA side: the name's CAA records looked up as the CA will (lib/core/caa.ts
// walks the tree and judges them), on the pre-flight's resolver (PREFLIGHT_DNS_SERVER), so a
// record that forbids our CA, account or http-01 is named before any order.
import type { CaaRecord as NodeCaaRecord } from 'node:dns';
import type { Resolver } from 'node:dns/promises';
import { evaluateCaa, relevantCaa, type CaaRecord, type CaaRequester, type CaaVerdict } from '../lib/core/caa.js';
import { causeFix, type Diagnosis } from '../lib/core/diagnosis.js';

/** One lookup per name per run: names of one order share their parents. */
export function caaLookup(resolver: Resolver): (name: string) => Promise<readonly CaaRecord[]> {
  const seen = new Map<string, Promise<readonly CaaRecord[]>>();
  return (name) => {
    let pending = seen.get(name);
    if (pending === undefined) {
      pending = resolver.resolveCaa(name).then(
        (answers) => answers.map(recordOf),
        (error: unknown) => {
          const code = String((error as { code?: unknown }).code ?? error);
          // No CAA here (or no such name): the walk goes on to the parent.
          if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
          throw new CaaLookupError(name, code);
        },
      );
      seen.set(name, pending);
    }
    return pending;
  };
}

/** node's answer: `critical` is the flags byte, the one other key is the tag with its value. */
function recordOf(answer: NodeCaaRecord): CaaRecord {
  const property = Object.entries(answer).find(([key]) => key !== 'critical');
  return { flags: answer.critical, tag: property?.[0] ?? '', value: String(property?.[1] ?? '') };
}

class CaaLookupError extends Error {
  constructor(
    readonly at: string,
    readonly code: string,
  ) {
    super(`looking up CAA at ${at} failed (${code})`);
  }
}

/** The verdict on a name's CAA and, when it fails the name, why. */
export async function checkCaa(domain: string, requester: CaaRequester, lookup: (name: string) => Promise<readonly CaaRecord[]>): Promise<{ verdict: CaaVerdict | undefined; diagnosis: Diagnosis | undefined }> {
  try {
    const verdict = evaluateCaa(domain, await relevantCaa(domain, lookup), requester);
    return { verdict, diagnosis: verdict.allowed ? undefined : { cause: 'caa', summary: verdict.summary, fix: causeFix('caa') } };
  } catch (error) {
    // A CA refuses to issue when CAA cannot be looked up (RFC 8659 §3), so this fails the name too.
    // Never rejects: the pre-flight starts this beside the HTTP probe and awaits it after.
    const message = error instanceof CaaLookupError ? error.message : `looking up CAA for ${domain} failed (${error instanceof Error ? error.message : String(error)})`;
    return { verdict: undefined, diagnosis: { cause: 'dns-error', summary: `${message}; the CA refuses to issue for ${domain} while CAA cannot be read`, fix: causeFix('dns-error') } };
  }
}

export function caaWords(verdict: CaaVerdict | undefined): string {
  if (verdict === undefined || !verdict.allowed) return '';
  if (verdict.at === undefined) return '; no CAA record restricts it';
  if (verdict.by === undefined) return `; CAA at ${verdict.at} has no issue property`;
  return `; CAA at ${verdict.at} allows us (${verdict.by}${verdict.caUnverified ? ", taken as our CA's: its directory lists no caaIdentities" : ''})`;
}
