// A request body read whole, refused (RangeError) past a limit: for the local HTTP fronts, which
// each answer an oversized body as the front they stand in for does.
import type { IncomingMessage } from 'node:http';

export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new RangeError('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
