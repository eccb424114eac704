import { ErrorCodes, IssuerError, assertCertName, declarationFields, layout, type Declaration, type DeclareInput, type ObjectStore } from '../../lib/core/index.js';
import { loadDeclaration, loadDeclaredIndex, syncDeclaredEntry, saveDeclaration } from '../certificates/declarations.js';
import type { CommandContext } from './context.js';

/**
 * `declare`: writes declared/NAME.json (over the version read, or create-only), then its entry in
 * declared/_index.json. The next `renew` issues or changes it; nothing is ordered here. Declaring
 * again replaces the fields and keeps the owner. Run again after a failure, it finishes: the
 * object is written the same and the summary entry put again.
 */
export async function declareCommand(ctx: CommandContext, input: DeclareInput, caller: string): Promise<Declaration> {
  const { store, progress, now } = ctx;
  const fields = declarationFields(input); // bad input fails before anything is read
  const { declaration, existing } = await writeDeclaration(store, fields, caller, now);
  await syncDeclaredEntry(store, declaration.name, (message, f) => progress.info(message, f));
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
 * Writes over the version read (If-Match) or where there is none (If-None-Match); when another
 * writer got there between our read and our write, reads theirs and writes again, keeping the
 * owner it recorded: two callers declaring the same certificate at once both succeed, the first
 * its owner.
 */
async function writeDeclaration(store: ObjectStore, fields: ReturnType<typeof declarationFields>, caller: string, now: () => Date): Promise<{ declaration: Declaration; existing: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const existing = await loadDeclaration(store, fields.name);
    const declaration: Declaration = { version: 1, ...fields, owner: existing?.declaration.owner ?? caller, declaredBy: caller, declaredAt: now().toISOString() };
    try {
      await saveDeclaration(store, declaration, existing?.etag);
      return { declaration, existing: existing !== undefined };
    } catch (error) {
      if (!(error instanceof IssuerError && error.code === ErrorCodes.CONFLICT) || attempt >= 3) throw error;
    }
  }
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
  const object = await store.get(layout.declared(name));
  const { index } = await loadDeclaredIndex(store, notice);
  if (object === undefined && index.entries[name] === undefined) {
    const inEnv = ctx.config.certificates.some((spec) => spec.name === name);
    throw new IssuerError(ErrorCodes.NOT_FOUND, `"${name}" is not declared in the store (${layout.declared(name)} does not exist)`, {
      hint: inEnv ? `it is declared in CERTIFICATES: remove "${name}=…" from CERTIFICATES instead` : 'run `list` to see where each certificate is declared',
    });
  }
  if (object !== undefined) await store.delete(layout.declared(name));
  await syncDeclaredEntry(store, name, notice);
  if (ctx.config.certificates.some((spec) => spec.name === name)) progress.warn(`"${name}" is still declared in CERTIFICATES`, { name });
  progress.result('undeclared', { name, object: `s3://${ctx.config.bucket}/${layout.declared(name)}`, next: `the certificate stays and is renewed as undeclared; \`delete ${name}\` takes it away` });
}
