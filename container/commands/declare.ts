import { ErrorCodes, IssuerError, assertCertName, layout, type Declaration, type DeclareInput } from '../../lib/core/index.js';
import { declareInStore, undeclareInStore } from '../../lib/store/declarations.js';
import type { CommandContext } from './context.js';

/**
 * `declare`: writes declared/NAME.json (over the version read, or create-only), then its entry in
 * declared/_index.json. The next `renew` issues or changes it; nothing is ordered here. Declaring
 * again replaces the fields and keeps the owner. Run again after a failure, it finishes: the
 * object is written the same and the summary entry put again.
 */
export async function declareCommand(ctx: CommandContext, input: DeclareInput, caller: string): Promise<Declaration> {
  const { store, progress, now } = ctx;
  const { declaration, existing } = await declareInStore(store, input, caller, now(), (message, f) => progress.info(message, f));
  if (ctx.config.certificates.some((spec) => spec.name === declaration.name)) {
    progress.warn(`"${declaration.name}" is also in CERTIFICATES, which wins while it is there (docs/configuration.md, "Declared in the store")`, { name: declaration.name });
  }
  progress.result('declared', {
    name: declaration.name,
    domains: [...declaration.domains],
    keyType: declaration.keyType,
    ca: declaration.directoryUrls ?? declaration.directoryUrl,
    profile: declaration.profile,
    exports: declaration.exports,
    regions: declaration.acmRegions,
    owner: declaration.owner,
    declaredBy: declaration.declaredBy,
    declaredAt: declaration.declaredAt,
    object: `s3://${ctx.config.bucket}/${layout.declared(declaration.name)}`,
    replaced: existing,
  });
  return declaration;
}

/**
 * `undeclare NAME`: removes declared/NAME.json and its summary entry. The certificate itself stays
 * (renewed as undeclared, with a warning, until `delete`), as when an entry leaves CERTIFICATES.
 * A summary entry whose object is already gone (an interrupted run) is removed too.
 */
export async function undeclareCommand(ctx: CommandContext, nameArg: string): Promise<void> {
  const { store, progress } = ctx;
  const name = assertCertName(nameArg);
  const notice = (message: string, f: Record<string, unknown>) => progress.info(message, f);
  if (!(await undeclareInStore(store, name, notice))) {
    const inEnv = ctx.config.certificates.some((spec) => spec.name === name);
    throw new IssuerError(ErrorCodes.NOT_FOUND, `"${name}" is not declared in the store (${layout.declared(name)} does not exist)`, {
      hint: inEnv ? `it is declared in CERTIFICATES: remove "${name}=…" from CERTIFICATES instead` : 'run `list` to see where each certificate is declared',
    });
  }
  if (ctx.config.certificates.some((spec) => spec.name === name)) progress.warn(`"${name}" is still declared in CERTIFICATES`, { name });
  progress.result('undeclared', { name, object: `s3://${ctx.config.bucket}/${layout.declared(name)}`, next: `the certificate stays and is renewed as undeclared; \`delete ${name}\` takes it away` });
}
