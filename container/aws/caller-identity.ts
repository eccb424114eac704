import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ErrorCodes, IssuerError, accessDeniedError, awsClientSettings, type AwsConfig } from '../../lib/core/index.js';

/**
 * The IAM principal the issuer runs as (STS GetCallerIdentity: needs no permission), recorded
 * as the owner of what it declares. An assumed role's ARN names the role and the session.
 */
export async function callerArn(aws: AwsConfig): Promise<string> {
  const { endpoint, region } = awsClientSettings(aws);
  const sts = new STSClient({ region, ...(endpoint === undefined ? {} : { endpoint }), maxAttempts: 3 });
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (identity.Arn === undefined) throw new Error('the answer had no Arn');
    return identity.Arn;
  } catch (error) {
    const during = 'could not tell who is declaring (sts:GetCallerIdentity)';
    throw (
      accessDeniedError(error, { action: 'sts:GetCallerIdentity', resource: '*', during, grantee: 'the caller (GetCallerIdentity needs no permission: the credentials themselves were refused)' }) ??
      new IssuerError(ErrorCodes.STORAGE_UNAVAILABLE, `${during}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, {
        hint: 'check AWS_REGION, AWS_ENDPOINT_URL and the credentials; nothing was written',
        cause: error,
      })
    );
  } finally {
    sts.destroy();
  }
}
