// Which certificate API the dashboard talks to, and the region its signatures name:
//   (default)      the local stack's, http://127.0.0.1:$API_PORT, region AWS_REGION;
//   --api-url URL  that URL (a function URL's region is in its host name);
//   --aws          the deployed stack's `ApiUrl` output (DEPLOY_STACK_NAME), read with CloudFormation.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

export interface DashboardTarget {
  readonly apiUrl: string;
  readonly region: string;
}

export class UsageError extends Error {}

/** https://<id>.lambda-url.<region>.on.aws */
const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/;

export const USAGE = 'usage: just dashboard [--aws | --api-url URL]';

export function regionOf(apiUrl: string, env: NodeJS.ProcessEnv): string {
  const fromHost = FUNCTION_URL_HOST.exec(new URL(apiUrl).hostname)?.[1];
  const region = fromHost ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') throw new UsageError(`no region to sign for ${apiUrl}: set AWS_REGION (a function URL names its own)`);
  return region;
}

function apiUrlArgument(value: string | undefined): string {
  if (value === undefined || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new UsageError(`--api-url takes the API's http(s) URL, such as the stack output ApiUrl; got ${value ?? 'nothing'}\n${USAGE}`);
  return value;
}

async function stackApiUrl(env: NodeJS.ProcessEnv): Promise<string> {
  const stackName = env.DEPLOY_STACK_NAME || 'AcmeIssuer';
  let outputs;
  try {
    const answer = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = answer.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw new UsageError(
      `cannot read the outputs of stack ${stackName}: ${error instanceof Error ? error.message : String(error)} (your AWS credentials and region: AWS_PROFILE, DEPLOY_REGION; the stack: DEPLOY_STACK_NAME)`,
    );
  }
  const url = outputs.find((output) => output.OutputKey === 'ApiUrl')?.OutputValue;
  if (url === undefined) throw new UsageError(`stack ${stackName} has no ApiUrl output: it was deployed with DEPLOY_API=false; deploy it with DEPLOY_API=true (docs/api.md)`);
  return url;
}

export async function resolveTarget(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<DashboardTarget> {
  let apiUrl: string | undefined;
  let aws = false;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === '--aws') aws = true;
    else if (argument === '--api-url') apiUrl = apiUrlArgument(argv[++i]);
    else if (argument?.startsWith('--api-url=')) apiUrl = apiUrlArgument(argument.slice('--api-url='.length));
    else throw new UsageError(`unknown argument ${argument}\n${USAGE}`);
  }
  if (aws && apiUrl !== undefined) throw new UsageError(`--aws reads the API's URL from the stack; --api-url gives it: not both\n${USAGE}`);
  if (aws) apiUrl = await stackApiUrl(env);
  if (apiUrl === undefined) {
    const port = env.API_PORT;
    if (port === undefined || !/^\d+$/.test(port)) throw new UsageError(`API_PORT (the local API's port, .env) is ${port ?? 'not set'}: run through just, or pass --aws or --api-url`);
    apiUrl = `http://127.0.0.1:${port}`;
  }
  return { apiUrl: apiUrl.replace(/\/+$/, ''), region: regionOf(apiUrl, env) };
}
