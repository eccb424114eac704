// The responder's credentials in the process hosting it (scripts/local/responder-credentials.ts):
// RESPONDER_AWS_* when set, all three replacing AWS_*, else AWS_* untouched. End to end (the
// adapter really reading with the responder role's session) in tests/e2e/iam.test.ts.
import { expect, it } from 'vitest';
import { useResponderCredentials } from '../../scripts/local/responder-credentials.js';

it('hands RESPONDER_AWS_* to the function as AWS_*, dropping a session token of the other principal', () => {
  const env: NodeJS.ProcessEnv = { AWS_ACCESS_KEY_ID: 'admin', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 'admin-token', RESPONDER_AWS_ACCESS_KEY_ID: 'ASIARESPONDER', RESPONDER_AWS_SECRET_ACCESS_KEY: 'r' };
  useResponderCredentials(env);
  expect(env).toMatchObject({ AWS_ACCESS_KEY_ID: 'ASIARESPONDER', AWS_SECRET_ACCESS_KEY: 'r' });
  expect(env.AWS_SESSION_TOKEN).toBeUndefined();
  const withToken: NodeJS.ProcessEnv = { RESPONDER_AWS_ACCESS_KEY_ID: 'a', RESPONDER_AWS_SECRET_ACCESS_KEY: 'b', RESPONDER_AWS_SESSION_TOKEN: 'c' };
  useResponderCredentials(withToken);
  expect(withToken).toMatchObject({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' });
});

it('leaves AWS_* alone without RESPONDER_AWS_ACCESS_KEY_ID', () => {
  const env: NodeJS.ProcessEnv = { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', RESPONDER_AWS_SECRET_ACCESS_KEY: 'ignored' };
  useResponderCredentials(env);
  expect(env).toEqual({ AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', RESPONDER_AWS_SECRET_ACCESS_KEY: 'ignored' });
});
