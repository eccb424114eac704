// IAM for the local stack when moto enforces it (LOCAL_IAM_ENFORCE=true, see up.sh):
//
//   admin  the first requests moto serves unauthenticated (moto_server runs with
//          INITIAL_NO_AUTH_ACTION_COUNT=3): an admin user, its "*" policy and its access key.
//          Then it proves enforcement is on (an unknown key is refused, the admin is served) and
//          writes the admin's keys to $LOCAL_STATE_DIR/run/admin.env. The stack's own scripts and
//          the tests' setup (creating resources, corrupting objects, reading ACM) use them.
//   roles  the issuer task role, the responder role and, when the template has the certificate
//          API (DEPLOY_API, the default), the API function's role, each with the synthesized
//          template's own policy (LOCAL_IAM_POLICIES, or synthesized now from the DEPLOY_*
//          variables), its intrinsics resolved to this stack's bucket, key, region and account and
//          to the cluster and task definition bootstrap-ecs.ts registered (run/task.json, which
//          must exist first: the API's ecs:RunTask names them); assumes each (STS) and writes the
//          session credentials to run/issuer.env (AWS_*), run/responder.env (RESPONDER_AWS_*, what
//          the responder's runtime hands the function) and run/api.env (AWS_*, what the local API
//          endpoint's handler runs with, as Lambda hands the function its role's session).
//
// The roles' trust policies name the admin user, the one principal that exists here: on AWS they
// name ecs-tasks.amazonaws.com and lambda.amazonaws.com (asserted by tests/infra). Only the
// permission policies come from the template, unchanged but for the resolved intrinsics.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { localLogGroups, physicalResources, resolvePolicy, type LocalResources } from './iam-policy.js';
import { templatePolicies, type PolicyStatement, type TemplatePolicies } from './iam-template.js';
import type { LocalTask } from './task-definition.js';

export const ADMIN_USER = 'local-admin';
export const ROLE_NAMES = { issuer: 'local-issuer-task', responder: 'local-responder', api: 'local-api' } as const;
export type RoleKind = keyof typeof ROLE_NAMES;

/** The roles this template has: the API's only when the stack has the API (DEPLOY_API). */
export function roleKinds(policies: Pick<TemplatePolicies, 'api'>): RoleKind[] {
  return policies.api === undefined ? ['issuer', 'responder'] : ['issuer', 'responder', 'api'];
}
/** The longest session moto's roles allow (12 h): longer than any test run. */
const SESSION_SECONDS = 43_200;

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** What the roles step leaves in run/iam.json: enough for a test to re-apply or edit the policies. */
export interface IamState {
  readonly adminArn: string;
  readonly account: string;
  readonly policiesFile: string;
  readonly local: LocalResources;
  readonly roles: Record<'issuer' | 'responder', RoleSession> & { readonly api?: RoleSession };
}

export interface RoleSession {
  readonly arn: string;
  readonly credentials: Credentials;
}

function endpoint(env: NodeJS.ProcessEnv): string {
  const url = env.AWS_ENDPOINT_URL;
  if (url === undefined || url === '') throw new Error('AWS_ENDPOINT_URL is empty: refusing to create IAM principals in real AWS');
  return url;
}

function clients(env: NodeJS.ProcessEnv, credentials?: Credentials) {
  const settings = { region: env.AWS_REGION ?? 'us-east-1', endpoint: endpoint(env), ...(credentials ? { credentials } : {}) };
  return { iam: new IAMClient(settings), sts: new STSClient(settings) };
}

export function runDir(env: NodeJS.ProcessEnv): string {
  return join(env.LOCAL_STATE_DIR ?? '.local', 'run');
}

function envFile(values: Record<string, string>): string {
  for (const value of Object.values(values)) if (/['\n]/.test(value)) throw new Error('a credential holds a quote or newline');
  return Object.entries(values)
    .map(([name, value]) => `${name}='${value}'\n`)
    .join('');
}

/** The admin: the only requests moto answers without checking anything. Then enforcement is proved. */
async function admin(env: NodeJS.ProcessEnv): Promise<void> {
  const { iam } = clients(env, { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' });
  await iam.send(new CreateUserCommand({ UserName: ADMIN_USER }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: ADMIN_USER,
      PolicyName: 'everything',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }),
  );
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: ADMIN_USER }))).AccessKey!;
  const credentials = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  await proveEnforcement(env, credentials);
  writeFileSync(join(runDir(env), 'admin.env'), envFile({ AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: '' }), { mode: 0o600 });
  console.error(`ok   moto enforces IAM; admin user ${ADMIN_USER} (${credentials.accessKeyId})`);
}

/** An unknown key must be refused and the admin served: otherwise moto is not checking, and every test below would prove nothing. */
async function proveEnforcement(env: NodeJS.ProcessEnv, adminCredentials: Credentials): Promise<void> {
  const stranger = clients(env, { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'unknown' });
  const refused = await stranger.iam.send(new GetUserCommand({ UserName: ADMIN_USER })).then(
    () => undefined,
    (error: unknown) => (error as { name?: string }).name,
  );
  if (refused !== 'InvalidClientTokenId') {
    throw new Error(
      `moto answered an unknown access key with ${refused ?? 'success'}, not InvalidClientTokenId: IAM is not enforced (is INITIAL_NO_AUTH_ACTION_COUNT=3 set on moto_server, and were exactly three requests made before?)`,
    );
  }
  await clients(env, adminCredentials).iam.send(new GetUserCommand({ UserName: ADMIN_USER }));
}

function adminCredentials(env: NodeJS.ProcessEnv): Credentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the admin from run/admin.env) are not set');
  return { accessKeyId, secretAccessKey };
}

async function readPolicies(env: NodeJS.ProcessEnv): Promise<{ policies: TemplatePolicies; file: string }> {
  const given = env.LOCAL_IAM_POLICIES;
  if (given !== undefined && given !== '') return { policies: JSON.parse(readFileSync(given, 'utf8')) as TemplatePolicies, file: given };
  const deploy = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('DEPLOY_') && entry[1] !== undefined && entry[1] !== ''));
  const policies = await templatePolicies(deploy);
  const file = join(runDir(env), 'template-policies.json');
  writeFileSync(file, JSON.stringify(policies, null, 1));
  return { policies, file };
}

type ResolvedPolicy = { name: string; document: ReturnType<typeof resolvePolicy> };

/** The resolved policy documents for the template's roles, with `edit` applied to the statements first (a test removing one). */
export function resolvedPolicies(
  policies: TemplatePolicies,
  local: LocalResources,
  edit: Partial<Record<RoleKind, (statements: readonly PolicyStatement[]) => readonly PolicyStatement[]>> = {},
): Record<'issuer' | 'responder', ResolvedPolicy> & { api?: ResolvedPolicy } {
  const context = { local, resources: physicalResources(policies, local, localLogGroups(local.bucket)), types: policies.types };
  const one = (role: { roleLogicalId: string; statements: readonly PolicyStatement[] }, kind: RoleKind): ResolvedPolicy => ({
    name: `${role.roleLogicalId}Policy`,
    document: resolvePolicy(edit[kind]?.(role.statements) ?? role.statements, context),
  });
  return { issuer: one(policies.issuer, 'issuer'), responder: one(policies.responder, 'responder'), ...(policies.api === undefined ? {} : { api: one(policies.api, 'api') }) };
}

/** Puts each role's (resolved, possibly edited) template policy; sessions already handed out see it at once. */
export async function putRolePolicies(env: NodeJS.ProcessEnv, policies: TemplatePolicies, local: LocalResources, edit: Parameters<typeof resolvedPolicies>[2] = {}): Promise<void> {
  const { iam } = clients(env, adminCredentials(env));
  const documents = resolvedPolicies(policies, local, edit);
  for (const kind of roleKinds(policies)) {
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE_NAMES[kind], PolicyName: 'template', PolicyDocument: JSON.stringify(documents[kind]!.document) }));
  }
}

/** The cluster and task definition bootstrap-ecs.ts registered (the API's RunTask names them). */
function registeredTask(env: NodeJS.ProcessEnv): Pick<LocalResources, 'clusterArn' | 'taskDefinitionArn'> {
  const file = join(runDir(env), 'task.json');
  let task: LocalTask;
  try {
    task = JSON.parse(readFileSync(file, 'utf8')) as LocalTask;
  } catch (error) {
    throw new Error(
      `the API role's policy names the issuer's cluster and task definition, but ${file} cannot be read (${error instanceof Error ? error.message : String(error)}): run bootstrap-ecs.ts first (up.sh does)`,
    );
  }
  return { clusterArn: task.clusterArn, taskDefinitionArn: task.taskDefinitionArn };
}

async function roles(env: NodeJS.ProcessEnv): Promise<void> {
  const admin = adminCredentials(env);
  const { iam, sts } = clients(env, admin);
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  const region = env.AWS_REGION ?? 'us-east-1';
  const bucket = env.CERT_BUCKET;
  const keyArn = env.CERT_KMS_KEY_ID;
  if (!bucket || !keyArn) throw new Error('CERT_BUCKET and CERT_KMS_KEY_ID (from run/aws.env, made by bootstrap-aws.ts) must be set');
  const { policies, file } = await readPolicies(env);
  const account = identity.Account!;
  const partition = identity.Arn!.split(':')[1]!;
  const local: LocalResources = {
    region,
    account,
    partition,
    bucket,
    keyArn,
    exportKeyArn: env.EXPORT_KMS_KEY_ID || undefined,
    httpsListenerArn: env.HTTPS_LISTENER_ARN || undefined,
    taskRoleArn: `arn:${partition}:iam::${account}:role/${ROLE_NAMES.issuer}`,
    ...(policies.api === undefined ? {} : registeredTask(env)),
  };
  const kinds = roleKinds(policies);
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: identity.Arn! }, Action: 'sts:AssumeRole' }] });
  const arns = {} as Record<RoleKind, string>;
  for (const kind of kinds) {
    const created = await iam.send(new CreateRoleCommand({ RoleName: ROLE_NAMES[kind], AssumeRolePolicyDocument: trust, MaxSessionDuration: SESSION_SECONDS })).then(
      (result) => result.Role!.Arn!,
      async (error: unknown) => {
        if ((error as { name?: string }).name !== 'EntityAlreadyExists') throw error;
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: ROLE_NAMES[kind], PolicyDocument: trust }));
        return `arn:${local.partition}:iam::${local.account}:role/${ROLE_NAMES[kind]}`;
      },
    );
    arns[kind] = created;
  }
  await putRolePolicies(env, policies, local);
  const sessions: Partial<Record<RoleKind, RoleSession>> = {};
  for (const kind of kinds) {
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: arns[kind], RoleSessionName: kind, DurationSeconds: SESSION_SECONDS }));
    const c = assumed.Credentials!;
    sessions[kind] = { arn: arns[kind], credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } };
  }
  const roleSessions: IamState['roles'] = { issuer: sessions.issuer!, responder: sessions.responder!, ...(sessions.api === undefined ? {} : { api: sessions.api }) };
  const state: IamState = { adminArn: identity.Arn!, account: local.account, policiesFile: file, local, roles: roleSessions };
  const dir = runDir(env);
  writeFileSync(join(dir, 'iam.json'), JSON.stringify(state, null, 1), { mode: 0o600 });
  const issuer = roleSessions.issuer.credentials;
  writeFileSync(join(dir, 'issuer.env'), envFile({ AWS_ACCESS_KEY_ID: issuer.accessKeyId, AWS_SECRET_ACCESS_KEY: issuer.secretAccessKey, AWS_SESSION_TOKEN: issuer.sessionToken! }), { mode: 0o600 });
  const responder = roleSessions.responder.credentials;
  writeFileSync(
    join(dir, 'responder.env'),
    envFile({ RESPONDER_AWS_ACCESS_KEY_ID: responder.accessKeyId, RESPONDER_AWS_SECRET_ACCESS_KEY: responder.secretAccessKey, RESPONDER_AWS_SESSION_TOKEN: responder.sessionToken! }),
    { mode: 0o600 },
  );
  const api = roleSessions.api?.credentials;
  // No API in the template: no API role, and no session for the local endpoint to run with (it does not start).
  if (api === undefined) rmSync(join(dir, 'api.env'), { force: true });
  else writeFileSync(join(dir, 'api.env'), envFile({ AWS_ACCESS_KEY_ID: api.accessKeyId, AWS_SECRET_ACCESS_KEY: api.secretAccessKey, AWS_SESSION_TOKEN: api.sessionToken! }), { mode: 0o600 });
  const configuration =
    Object.entries(policies.deploy)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ') || 'the default configuration';
  console.error(
    `ok   roles ${kinds.map((kind) => ROLE_NAMES[kind]).join(', ')} with the template's policies (${configuration})${policies.api === undefined ? '; no API role: the template has no certificate API (DEPLOY_API=false)' : ''}`,
  );
}

if (process.argv[1]?.endsWith('bootstrap-iam.ts')) {
  const step = process.argv[2];
  const steps: Record<string, (env: NodeJS.ProcessEnv) => Promise<void>> = { admin, roles };
  const run = step === undefined ? undefined : steps[step];
  if (run === undefined) {
    console.error('usage: bootstrap-iam.ts admin|roles');
    process.exit(2);
  }
  await run(process.env).catch((error: unknown) => {
    console.error(`FAIL iam ${step}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
