import { layout } from '../../lib/core/index.js';
import type { CommandContext } from './context.js';

/** `register`: the account key, the account at the CA, the public JWK the responder reads. Idempotent. */
export async function registerCommand(ctx: CommandContext): Promise<void> {
  const account = await ctx.account();
  ctx.progress.result('registered', {
    ca: account.registration.directoryUrl,
    account: account.registration.accountUrl,
    keyType: account.registration.keyType,
    thumbprint: account.registration.thumbprint,
    publicJwk: `s3://${ctx.config.bucket}/${layout.accountJwk}`,
    changed: account.changed,
  });
}
