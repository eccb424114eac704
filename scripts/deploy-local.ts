// `just deploy-local`: the real CDK CLI deploys the stack into a fresh moto, and the deployed
// responder answers a challenge. Steps: synth offline (as `just synth`), start moto, `cdk
// bootstrap`, put the issuer image into the bootstrap repository (there is no Docker to build it),
// `cdk deploy --method=direct`, print the outputs; then run the responder's deployed code with its
// deployed configuration under the Lambda runtime emulator and check its answer. Every AWS
// variable of the shell is dropped first (sandbox-env.ts): this can reach moto and nothing else.
//
// Usage: node --import tsx scripts/deploy-local.ts        deploy and check (moto stopped at the end
//                                                        unless DEPLOY_LOCAL_KEEP_MOTO=true)
//        node --import tsx scripts/deploy-local.ts stop   stop a moto an earlier run kept
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ECRClient } from '@aws-sdk/client-ecr';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { REPO_ROOT } from '../lib/constructs/repo.js';
import { isIssuerError } from '../lib/core/index.js';
import { seedAccountJwk } from './deploy-local/account-jwk.js';
import { readStackAssembly } from './deploy-local/assembly.js';
import { putAssetImages } from './deploy-local/asset-images.js';
import { runCdk } from './deploy-local/cdk.js';
import { deployLocalDir, parseDeployLocalConfig, type DeployLocalConfig } from './deploy-local/config.js';
import { fetchDeployedResponder } from './deploy-local/deployed-responder.js';
import { isMotoServer, startMoto, stopGroup, type MotoServer } from './deploy-local/moto.js';
import { askResponder } from './deploy-local/responder-check.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, MOTO_REGION, adoptEnv, motoClientSettings, motoEnv, offlineEnv, sandboxHome, withoutAws } from './deploy-local/sandbox-env.js';

const say = (line: string) => process.stderr.write(`${line}\n`);
const shown = (path: string) => relative(process.cwd(), path) || '.';

/** The step's result line: `✓ name: detail (ms)`, `✗` when it threw or `passed` says no. */
async function step<T>(name: string, work: () => Promise<T>, detail: (value: T) => string = () => '', passed: (value: T) => boolean = () => true): Promise<T> {
  const started = performance.now();
  try {
    const value = await work();
    const text = detail(value);
    say(`  ${passed(value) ? '✓' : '✗'} ${name}${text === '' ? '' : `: ${text}`} (${Math.round(performance.now() - started)} ms)`);
    return value;
  } catch (error) {
    say(`  ✗ ${name} (${Math.round(performance.now() - started)} ms)`);
    throw error;
  }
}

/** Stops the moto an earlier run kept (its pid file says which), and only a moto_server. */
async function stopKept(dir: string): Promise<number | undefined> {
  const pidFile = join(dir, 'moto.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile);
  if (!Number.isInteger(pid) || pid <= 1 || !isMotoServer(pid)) return undefined;
  await stopGroup(pid);
  return pid;
}

async function deploy(config: DeployLocalConfig): Promise<boolean> {
  const original = { ...process.env };
  const dir = config.dir;
  await stopKept(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const home = sandboxHome(join(dir, 'home'));
  const assemblyDir = join(dir, 'cdk.out');
  const outputsFile = join(dir, 'outputs.json');
  const log = (name: string) => join(dir, 'logs', `${name}.log`);
  say(`deploying ${config.stackName} into a fresh moto with the CDK CLI (files in ${shown(dir)})`);

  // moto first: a configured port that is taken stops the run before the synth's seconds are spent
  const moto: MotoServer = await step(
    'start moto',
    () => startMoto({ port: config.motoPort, logFile: log('moto'), env: withoutAws(original) }),
    (server) => `${server.endpoint} (pid ${server.pid})`,
  );
  // written at once, so a kept moto can be stopped whatever happens to this run
  if (config.keepMoto) writeFileSync(join(dir, 'moto.pid'), `${moto.pid}\n`);
  try {
    await step(
      'cdk synth (offline)',
      // Without the certificate API: moto 5.2's CloudFormation has no AWS::Lambda::Url (it skips
      // the resource), and the ApiUrl output's Fn::GetAtt on a skipped resource fails the whole
      // deployment. The API is deployed by `cdk deploy` on AWS and tested in tests/infra/api.test.ts.
      () => runCdk({ args: ['synth', '--quiet', '--no-notices', '--output', assemblyDir], env: { ...offlineEnv(original, home), DEPLOY_API: 'false' }, logFile: log('cdk-synth') }),
      () => shown(assemblyDir),
    );
    const assembly = readStackAssembly(assemblyDir, config.stackName);

    const env = motoEnv(original, home, moto.endpoint);
    adoptEnv(env); // this process's SDK clients (and the issuer's S3 store used below) see moto only
    const settings = motoClientSettings(moto.endpoint);
    const clients = { cloudformation: new CloudFormationClient(settings), lambda: new LambdaClient(settings), s3: new S3Client(settings) };

    const environment = `aws://${MOTO_ACCOUNT}/${MOTO_REGION}`;
    await step(
      'cdk bootstrap',
      () => runCdk({ args: ['bootstrap', '--no-notices', '--app', assemblyDir, environment], env, logFile: log('cdk-bootstrap') }),
      () => environment,
    );
    await step(
      'put the image assets into the bootstrap repository',
      () => putAssetImages(new ECRClient(settings), assembly.assets, MOTO_ACCOUNT, MOTO_REGION),
      (put) => put.map((image) => `${image.repositoryName}:${image.imageTag.slice(0, 12)}…`).join(', '),
    );
    await step(
      'cdk deploy --method=direct',
      () => runCdk({ args: ['deploy', '--no-notices', '--app', assemblyDir, '--method=direct', '--require-approval', 'never', '--outputs-file', outputsFile, config.stackName], env, logFile: log('cdk-deploy') }),
      () => shown(outputsFile),
    );
    const outputs = (JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>)[config.stackName] ?? {};
    // the outputs on stdout, everything else on stderr
    const width = Math.max(0, ...Object.keys(outputs).map((key) => key.length));
    process.stdout.write(
      `outputs of ${config.stackName}:\n${Object.entries(outputs)
        .map(([key, value]) => `  ${key.padEnd(width)}  ${value}\n`)
        .join('')}`,
    );

    say('checking the deployed responder:');
    const responder = await step(
      'read the deployed function',
      () => fetchDeployedResponder(clients, assembly, MOTO_ACCOUNT, MOTO_REGION, join(dir, 'responder')),
      (found) => `${found.functionName}, ${found.runtime}, ${found.handler}, ${found.logFormat} logs (from ${found.logFormatFrom}), code ${found.codeObject}`,
    );
    const bucket = outputs['CertificateBucket'];
    const kmsKeyArn = outputs['CertificateKeyArn'];
    if (bucket === undefined || kmsKeyArn === undefined) throw new Error(`the stack's outputs have no CertificateBucket or CertificateKeyArn (${shown(outputsFile)})`);
    const seeded = await step(
      'put an account public JWK into the bucket',
      () => seedAccountJwk({ s3: clients.s3, endpoint: moto.endpoint, region: MOTO_REGION, bucket, kmsKeyArn, keyType: config.accountKeyType }),
      (jwk) => `${jwk.object}, SSE-KMS with ${kmsKeyArn}`,
    );
    const answer = await step(
      'GET /.well-known/acme-challenge/<token> through the Lambda runtime emulator',
      () =>
        askResponder({
          responder,
          jwk: seeded.jwk,
          aws: { endpoint: moto.endpoint, region: MOTO_REGION, ...MOTO_CREDENTIALS },
          logFile: log('responder'),
        }),
      (result) => `${result.status ?? 'no status'} ${JSON.stringify(result.body)}`,
      (result) => result.ok,
    );

    writeFileSync(
      join(dir, 'run.json'),
      `${JSON.stringify(
        {
          stackName: config.stackName,
          endpoint: moto.endpoint,
          motoPid: config.keepMoto ? moto.pid : undefined,
          outputsFile,
          outputs,
          responder,
          answer: { token: answer.token, status: answer.status, body: answer.body, expected: answer.expected, ok: answer.ok, event: answer.event },
        },
        null,
        2,
      )}\n`,
    );
    if (answer.ok) say(`responder answered 200 with <token>.<thumbprint> (thumbprint computed independently with jose)`);
    else say(`responder answered ${answer.status ?? 'nothing'} ${JSON.stringify(answer.body)}; expected 200 ${JSON.stringify(answer.expected)}`);
    return answer.ok;
  } finally {
    if (config.keepMoto) {
      moto.detach();
      say(`moto keeps running at ${moto.endpoint} (pid ${moto.pid}, keys testing/testing); stop it with: just deploy-local stop`);
    } else {
      await moto.stop();
    }
  }
}

async function main(): Promise<number> {
  const command = process.argv[2];
  if (command === 'stop') {
    const pid = await stopKept(deployLocalDir(process.env));
    say(pid === undefined ? 'no kept moto to stop' : `stopped moto (pid ${pid})`);
    return 0;
  }
  if (command !== undefined) {
    say(`unknown argument ${command}: run without arguments to deploy, or with "stop" to stop a kept moto`);
    return 2;
  }
  let config: DeployLocalConfig;
  try {
    config = parseDeployLocalConfig(process.env);
  } catch (error) {
    if (!isIssuerError(error)) throw error;
    say(`deploy-local stopped: ${error.message}${error.hint ? `\n${error.hint}` : ''}`);
    return 2;
  }
  return (await deploy(config)) ? 0 : 1;
}

process.chdir(REPO_ROOT);
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
