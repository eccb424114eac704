// The template the local stack's roles are made from (scripts/local/iam-template.ts) is the one
// `cdk synth` deploys: the same statements as a full synth (NodejsFunction bundled, cdk-nag on),
// for the default configuration, one with every IAM-relevant option on, and one without the API.
import { describe, expect, it } from 'vitest';
import { templatePolicies } from '../../scripts/local/iam-template.js';
import { logicalId, statementsOfRole, synthesize } from './synth.js';

const CONFIGURATIONS: Record<string, Record<string, string>> = {
  default: {},
  'exports, listener, extra regions': {
    DEPLOY_EXPORTS: 'secrets,ssm',
    DEPLOY_HTTPS_CERTIFICATE_ARN: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
    DEPLOY_ACM_EXTRA_REGIONS: 'us-west-2',
    DEPLOY_CERTIFICATES: 'edge=edge.example.com;regions=eu-west-1',
  },
  'no API': { DEPLOY_API: 'false' },
};

describe.each(Object.entries(CONFIGURATIONS))("the local roles' template (%s)", (_label, deploy) => {
  it('holds exactly the statements of a bundled, cdk-nag-checked synth, and names the resources they use', async () => {
    const policies = await templatePolicies(deploy);
    const full = synthesize(deploy);
    const taskRole = logicalId(full, full.stack.issuer.taskDefinition.taskRole);
    const responderRole = logicalId(full, full.stack.responder.role);
    expect(policies.issuer.roleLogicalId).toBe(taskRole);
    expect(policies.responder.roleLogicalId).toBe(responderRole);
    expect(policies.issuer.statements).toEqual(statementsOfRole(full.json, taskRole));
    expect(policies.responder.statements).toEqual(statementsOfRole(full.json, responderRole));
    expect(policies.resources.bucket).toBe(logicalId(full, full.stack.store.bucket));
    expect(policies.resources.key).toBe(logicalId(full, full.stack.store.key));
    expect(policies.resources.exportKey).toBe(full.stack.issuer.exportKey === undefined ? undefined : logicalId(full, full.stack.issuer.exportKey));
    // the API function's role (what the local endpoint's handler runs as), and what its RunTask and PassRole name
    if (full.stack.api === undefined) {
      expect(policies.api).toBeUndefined();
      expect(policies.resources.apiLogGroup).toBeUndefined();
    } else {
      const apiRole = logicalId(full, full.stack.api.role);
      expect(policies.api?.roleLogicalId).toBe(apiRole);
      expect(policies.api?.statements).toEqual(statementsOfRole(full.json, apiRole));
      expect(policies.resources.apiLogGroup).toBe(logicalId(full, full.stack.api.logGroup));
    }
    expect(policies.resources.cluster).toBe(logicalId(full, full.stack.issuer.cluster));
    expect(policies.resources.taskDefinition).toBe(logicalId(full, full.stack.issuer.taskDefinition));
    expect(policies.resources.taskRole).toBe(taskRole);
    expect(policies.resources.executionRole).toBe(logicalId(full, full.stack.issuer.taskDefinition.executionRole!));
    // a second call is the cached result, not a second synth
    expect(await templatePolicies(deploy)).toEqual(policies);
  }, 120_000);
});
