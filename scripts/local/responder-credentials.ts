// The responder function's credentials. On Lambda the runtime gives the function its role's
// session as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; locally the process
// hosting the function (the ALB adapter, or the Lambda runtime emulator) is started with the
// responder role's session as RESPONDER_AWS_* (run/responder.env, when the local stack enforces
// IAM) and hands those to the function as AWS_*. Without RESPONDER_AWS_*, AWS_* are left as they are.
// Imported first by alb-adapter.ts, so it runs before the handler's S3 client ever resolves credentials.

const NAMES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

/** The AWS_* the function should see, from RESPONDER_AWS_* when RESPONDER_AWS_ACCESS_KEY_ID is set. */
export function responderCredentials(env: NodeJS.ProcessEnv): Partial<Record<(typeof NAMES)[number], string>> | undefined {
  if (!env.RESPONDER_AWS_ACCESS_KEY_ID) return undefined;
  const values: Partial<Record<(typeof NAMES)[number], string>> = {};
  for (const name of NAMES) {
    const value = env[`RESPONDER_${name}`];
    if (value) values[name] = value;
  }
  return values;
}

/** Replaces the process's AWS_* with the responder's (all three: a session token of another principal must not stay). */
export function useResponderCredentials(env: NodeJS.ProcessEnv = process.env): void {
  const values = responderCredentials(env);
  if (values === undefined) return;
  for (const name of NAMES) {
    if (values[name] === undefined) delete env[name];
    else env[name] = values[name];
  }
}

useResponderCredentials();
