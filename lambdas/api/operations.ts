import { ErrorCodes, IssuerError, layout, type DeclareInput, type ObjectStore } from '../../lib/core/index.js';
import { declareInStore, loadDeclaration, loadDeclaredIndex, undeclareInStore } from '../../lib/store/declarations.js';
import { readIndex } from '../../lib/store/index-store.js';
import { readLiveMetadata } from '../../lib/store/live-metadata.js';
import { loadRecord } from '../../lib/store/records.js';
import { mayChange } from './identity.js';
import type { TaskStarter } from './task-starter.js';
import { detailView, listView, statusView, type CertificateView, type StatusView } from './views.js';

export interface CertificateApiDeps {
  readonly store: ObjectStore;
  readonly tasks: TaskStarter;
  /** IAM ARNs that may change or delete any certificate (API_ADMINS). */
  readonly admins: readonly string[];
  readonly now: () => Date;
}

export interface Accepted {
  readonly name: string;
  readonly statusUrl: string;
  /** The issuer task started for it; absent when nothing was left to run. */
  readonly taskArn?: string;
}

/**
 * The certificate operations on the store and ECS. The API writes declarations and starts the
 * issuer task; everything that needs the CA, ACM, the exports or a private key happens in that
 * task, under its own role (docs/api.md): the API's role has none of those.
 */
export class CertificateApi {
  constructor(private readonly deps: CertificateApiDeps) {}

  /**
   * Declares it with the caller as owner (the code `declare` runs), then starts `renew NAME`:
   * renew issues what is declared and not issued yet, and, asked again for an issued one, renews
   * it only when due or changed (unlike `issue`, which orders whatever the state), so a repeated
   * POST costs no order.
   */
  async request(caller: string, input: DeclareInput, statusUrl: string): Promise<Accepted> {
    const existing = await loadDeclaration(this.deps.store, input.name);
    if (existing !== undefined) this.mustChange(caller, input.name, existing.declaration.owner);
    else if (await this.issuedWithoutOwner(input.name)) this.mustChange(caller, input.name, undefined);
    const { declaration } = await declareInStore(this.deps.store, input, caller, this.deps.now());
    const taskArn = await this.deps.tasks.start(['renew', declaration.name], declaration.name);
    return { name: declaration.name, statusUrl, taskArn };
  }

  async list(): Promise<CertificateView[]> {
    const [index, { index: declared }] = await Promise.all([readIndex(this.deps.store), loadDeclaredIndex(this.deps.store)]);
    const now = this.deps.now();
    const names = [...new Set([...Object.keys(index.entries), ...Object.keys(declared.entries)])].sort();
    return names.map((name) => listView(name, index.entries[name], declared.entries[name], now));
  }

  async get(name: string): Promise<CertificateView> {
    const { record, declaration, live } = await this.read(name);
    // The public chain only: live/NAME/fullchain.pem, never privkey.pem or bundle.json (the API's role cannot read them).
    const chain = live === undefined ? undefined : (await this.deps.store.get(layout.livePem(name, 'fullchain.pem')))?.body;
    return detailView(name, record, declaration, live, chain, this.deps.now());
  }

  async status(name: string): Promise<StatusView> {
    const { record } = await this.read(name);
    return statusView(name, record, this.deps.now());
  }

  /** `renew NAME --force` in the issuer task: a new certificate now, whatever the state. */
  async renew(caller: string, name: string, statusUrl: string): Promise<Accepted> {
    const { record, declaration } = await this.read(name);
    this.mustChange(caller, name, declaration?.owner);
    if (record === undefined && declaration === undefined) throw notFound(name);
    const taskArn = await this.deps.tasks.start(['renew', name, '--force'], name);
    return { name, statusUrl, taskArn };
  }

  /**
   * Undeclares it here (declared/ is the API's to write), then starts `delete NAME` in the issuer
   * task, which alone may delete the ACM copies, the exports and the live objects. A declaration
   * never issued has nothing more to delete: no task.
   */
  async delete(caller: string, name: string, statusUrl: string): Promise<Accepted> {
    const { record, declaration } = await this.read(name);
    this.mustChange(caller, name, declaration?.owner);
    if (declaration !== undefined) await undeclareInStore(this.deps.store, name);
    if (record === undefined) return { name, statusUrl };
    const taskArn = await this.deps.tasks.start(['delete', name], name);
    return { name, statusUrl, taskArn };
  }

  private async read(name: string) {
    const [loaded, found, live] = await Promise.all([loadRecord(this.deps.store, name), loadDeclaration(this.deps.store, name), readLiveMetadata(this.deps.store, name)]);
    if (loaded === undefined && found === undefined && live === undefined) throw notFound(name);
    return { record: loaded?.record, declaration: found?.declaration, live };
  }

  private async issuedWithoutOwner(name: string): Promise<boolean> {
    return (await loadRecord(this.deps.store, name)) !== undefined;
  }

  /** The owner or an administrator; a certificate nobody declared through the API (CERTIFICATES) is the administrators'. */
  private mustChange(caller: string, name: string, owner: string | undefined): void {
    if (owner !== undefined ? mayChange(caller, owner, this.deps.admins) : this.deps.admins.some((admin) => mayChange(caller, admin, []))) return;
    throw new IssuerError(ErrorCodes.ACCESS_DENIED, `${caller} may not change "${name}": ${owner === undefined ? 'it has no owner (declared in CERTIFICATES or before the API)' : `its owner is ${owner}`}`, {
      hint: 'ask its owner, or an administrator listed in DEPLOY_API_ADMINS; reads are open to every signed caller',
    });
  }
}

function notFound(name: string): IssuerError {
  return new IssuerError(ErrorCodes.NOT_FOUND, `no certificate named "${name}"`, { hint: 'GET /certificates lists the names' });
}
