import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag IAM5 finding on the principal a grant went to. cdk-nag names a
 * wildcard resource by the template's logical ids, so the finding id is built from the element.
 */
export function acknowledgeWildcardResource(grantee: iam.IGrantable, resource: string, reason: string): void {
  const principal = grantee.grantPrincipal as unknown;
  if (!Construct.isConstruct(principal)) return;
  Validations.of(principal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
}

/** How cdk-nag prints `Fn::GetAtt` of an element's attribute inside a finding id. */
export function nagAttRef(element: IConstruct, attribute: string): string {
  return `<${Stack.of(element).getLogicalId(element as CfnElement)}.${attribute}>`;
}
