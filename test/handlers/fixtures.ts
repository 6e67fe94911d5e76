/** The handler tests' fixtures: a time, an artifact, a template, a deployment and resource changes. */
import type { Change } from '@aws-sdk/client-cloudformation';
import type { Deployment } from '../../src/shared/contract';

export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
/** When the action of every issued job started (CodePipeline's action execution start time). */
export const ACTION_START = T0;

export const ARTIFACT = { bucket: 'codepipeline-artifacts-bucket', key: 'my-pipeline/BuildOutpu/k3Xz9aQ.zip' };
export const TEMPLATE_PATH = 'cdk.out/SampleApp.template.json';

export const SMALL_TEMPLATE = JSON.stringify({
  Resources: { Queue: { Type: 'AWS::SQS::Queue' } },
});

export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    stackName: 'prod-sample-app',
    templatePath: TEMPLATE_PATH,
    parameterOverrides: {},
    tags: {},
    capabilities: [],
    policy: { type: 'denyDestructive' },
    onUnsafe: { type: 'fail' },
    artifact: ARTIFACT,
    changeSetName: 'sfn-deploy-job1',
    pollIntervalSeconds: 5,
    startedAt: T0,
    deadline: T0 + 60 * 60_000,
    jobId: 'job-1',
    stackEvents: false,
    ...overrides,
  };
}

/** A CloudFormation resource change, as little of it as a handler reads. */
export function change(
  action: string, logicalId: string, resourceType = 'AWS::SQS::Queue', extra: Record<string, string> = {},
): Change {
  return { Type: 'Resource', ResourceChange: { Action: action as any, LogicalResourceId: logicalId, ResourceType: resourceType, ...extra } };
}
