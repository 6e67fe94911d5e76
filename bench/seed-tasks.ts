/**
 * The seed's task Lambdas (awslabs/aws-codepipeline-stepfunctions, pipeline/statemachines/deploy/*.js and
 * local_modules/cloudformation), re-written with SDK v3 commands so they run against the same fake clients:
 * the same CloudFormation and S3 calls, one function per Task, keyed by the function name in the Resource ARN.
 */
import {
  CreateChangeSetCommand, CreateStackCommand, DeleteChangeSetCommand, DescribeChangeSetCommand, DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { unzipSync } from 'fflate';

/** The seed's state machine input (its S3 input file plus the artifact location). */
export interface SeedInput {
  readonly environmentName: string;
  readonly stackName: string;
  readonly templatePath: string;
  readonly revisionS3Bucket: string;
  readonly revisionS3Key: string;
  readonly changeSetName?: string;
}

export interface SeedDeps {
  readonly cloudformation: CloudFormationClient;
  readonly s3: S3Client;
}

const SAFE = 'CAN-SAFELY-UPDATE-EXISTING-STACK';
const UNSAFE = 'RESOURCES-BEING-DELETED-OR-REPLACED';

type SeedTask = (params: SeedInput, deps: SeedDeps) => Promise<unknown>;

const stackNameOf = (p: SeedInput) => `${p.environmentName}-${p.stackName}`;

async function stackStatus(p: SeedInput, deps: SeedDeps): Promise<string | undefined> {
  try {
    const data = await deps.cloudformation.send(new DescribeStacksCommand({ StackName: stackNameOf(p) }));
    return data.Stacks?.[0]?.StackStatus;
  } catch {
    return undefined; // the seed: "Maybe stack does not exist?"
  }
}

async function templateBody(p: SeedInput, deps: SeedDeps): Promise<string> {
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: p.revisionS3Bucket, Key: p.revisionS3Key }));
  const files = unzipSync(await object.Body!.transformToByteArray());
  return new TextDecoder().decode(files[p.templatePath]);
}

function completed(status: string | undefined, inProgress: string, complete: string): string {
  if (status === inProgress) return 'in_progress';
  if (status === complete) return 'complete';
  throw new Error(`Unexpected stack status: ${status}`);
}

/** By function name (the last part of the Task's Resource ARN). */
export const SEED_TASKS: Record<string, SeedTask> = {
  CheckStackExistsStateMachineTask: async (p, deps) => (await stackStatus(p, deps)) !== undefined,
  CreateStackStateMachineTask: async (p, deps) => deps.cloudformation.send(new CreateStackCommand({
    StackName: stackNameOf(p),
    TemplateBody: await templateBody(p, deps),
    Capabilities: ['CAPABILITY_IAM'],
    Parameters: [{ ParameterKey: 'environmentName', ParameterValue: p.environmentName }],
  })),
  CheckStackCreationStatusStateMachineTask: async (p, deps) => completed(await stackStatus(p, deps), 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'),
  CreateChangeSetStateMachineTask: async (p, deps) => {
    const changeSetName = `${stackNameOf(p).substring(0, 100)}-change-set-1`;
    await deps.cloudformation.send(new CreateChangeSetCommand({
      ChangeSetName: changeSetName,
      StackName: stackNameOf(p),
      ChangeSetType: 'UPDATE',
      Capabilities: ['CAPABILITY_IAM'],
      Parameters: [{ ParameterKey: 'environmentName', ParameterValue: p.environmentName }],
      TemplateBody: await templateBody(p, deps),
    }));
    return changeSetName;
  },
  CheckChangeSetCreationStatusStateMachineTask: async (p, deps) => {
    const data = await deps.cloudformation.send(new DescribeChangeSetCommand({ StackName: stackNameOf(p), ChangeSetName: p.changeSetName }));
    return completed(data.Status, 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE');
  },
  InspectChangeSetStateMachineTask: async (p, deps) => {
    const data = await deps.cloudformation.send(new DescribeChangeSetCommand({ StackName: stackNameOf(p), ChangeSetName: p.changeSetName }));
    if (data.ExecutionStatus !== 'AVAILABLE') throw new Error(`Expecting ExecutionStatus: 'AVAILABLE' but got: ${data.ExecutionStatus}`);
    for (const change of data.Changes ?? []) {
      if (change.Type !== 'Resource') continue;
      // The seed compares with "Delete", which CloudFormation never reports; "Remove" is meant.
      if (change.ResourceChange?.Action === 'Remove' || (change.ResourceChange?.Action === 'Modify' && change.ResourceChange.Replacement === 'True')) {
        return UNSAFE;
      }
    }
    return SAFE;
  },
  ExecuteChangeSetStateMachineTask: async (p, deps) => deps.cloudformation.send(new ExecuteChangeSetCommand({
    StackName: stackNameOf(p), ChangeSetName: p.changeSetName,
  })),
  // Exercise #2, as the seed's hasStackCreationCompleted, for an update.
  CheckStackUpdateStatusStateMachineTask: async (p, deps) => completed(await stackStatus(p, deps), 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'),
  DeleteChangeSetStateMachineTask: async (p, deps) => deps.cloudformation.send(new DeleteChangeSetCommand({
    StackName: stackNameOf(p), ChangeSetName: p.changeSetName,
  })),
};

/** The Lambda function of a seed Task state. */
export function seedTaskFor(resource: string): SeedTask {
  const name = resource.split(':function:')[1];
  const task = name ? SEED_TASKS[name] : undefined;
  if (!task) throw new Error(`no seed task for ${resource}`);
  return task;
}
