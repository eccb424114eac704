import { layout } from '../../lib/core/index.js';
import { caaLines, updateCaaPins } from '../acme/caa-pins.js';
import type { CommandContext } from './context.js';

/** `register`: the account key, the account at the CA, the public JWK the responder reads, the CAA pin. Idempotent. */
export async function registerCommand(ctx: CommandContext): Promise<void> {
  const account = await ctx.account();
  // After the account: registration.json then holds this CA's account URL beside any others.
  const { pins, moved } = await updateCaaPins(ctx.store, { directoryUrl: account.registration.directoryUrl, caaIdentities: account.caaIdentities }, ctx.now());
  for (const pin of moved) {
    // A new account (register --new-account) is refused by every CAA record pinning the old one.
    const message = `the account at ${pin.directoryUrl} changed from ${pin.from} to ${pin.to}: every CAA record with accounturi=${pin.from} now refuses issuance; publish the caa record below in its place`;
    ctx.progress.log('WARN', 'caa-pin-moved', `  ! ${message}`, { message, directoryUrl: pin.directoryUrl, from: pin.from, to: pin.to });
  }
  const notes = pins.flatMap((pin) => (pin.note === undefined ? [] : [pin.note]));
  ctx.progress.result('registered', {
    ca: account.registration.directoryUrl,
    account: account.registration.accountUrl,
    keyType: account.registration.keyType,
    thumbprint: account.registration.thumbprint,
    publicJwk: `s3://${ctx.config.bucket}/${layout.accountJwk}`,
    // What a domain owner publishes to let only this account issue, over HTTP-01 (docs/security.md "CAA").
    caa: caaLines(pins),
    ...(notes.length === 0 ? {} : { caaNote: notes }),
    caaRecords: `s3://${ctx.config.bucket}/${layout.accountCaa}`,
    changed: account.changed,
  });
}
