/**
 * Stateful fakes of the AWS services the handlers call, built on aws-sdk-client-mock with `callsFake`.
 * Each fake models the service behaviour the handlers rely on (names, errors, pagination), not more.
 */
import { Readable } from 'node:stream';
import {
  AlreadyExistsException, ChangeSetNotFoundException, CloudFormationClient, CloudFormationServiceException,
  CreateChangeSetCommand, CreateStackCommand, DeleteChangeSetCommand, DescribeChangeSetCommand,
  DescribeStackEventsCommand, DescribeStacksCommand, ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import type { Change, CreateChangeSetCommandInput, CreateStackCommandInput, StackEvent } from '@aws-sdk/client-cloudformation';
import {
  CodePipelineClient, GetJobDetailsCommand, InvalidJobStateException, JobNotFoundException, ListActionExecutionsCommand,
  PutJobFailureResultCommand, PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import type { PutJobFailureResultCommandInput, PutJobSuccessResultCommandInput } from '@aws-sdk/client-codepipeline';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionStatus } from '@aws-sdk/client-sfn';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { zipSync } from 'fflate';
import type { Deployment } from '../../src/shared/contract';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:DeployWorkflow`;
export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

const CLIENT_CONFIG = {
  region: REGION,
  credentials: { accessKeyId: 'AKIDTESTCLIENT', secretAccessKey: 'test-client-secret' },
};

/** An error shaped like the AWS SDK's service exceptions (name, $fault, $metadata). */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return new CloudFormationServiceException({
    name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode },
  });
}

export function doesNotExist(stackName: string): Error {
  return awsError('ValidationError', `Stack with id ${stackName} does not exist`);
}

// ---------------------------------------------------------------------------------------------- S3

/** An S3 bucket store: GetObject streams bodies through `sdkStreamMixin`, PutObject stores them. */
export class FakeS3 {
  readonly client = new S3Client(CLIENT_CONFIG);
  readonly mock = mockClient(this.client);
  readonly objects = new Map<string, Uint8Array>();
  /** ContentLength to report instead of the real one (to model huge objects cheaply). */
  readonly reportedLength = new Map<string, number>();

  constructor() {
    this.mock.on(GetObjectCommand).callsFake(async (input) => {
      const id = `${input.Bucket}/${input.Key}`;
      const bytes = this.objects.get(id);
      if (!bytes) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
      return {
        Body: sdkStreamMixin(Readable.from([Buffer.from(bytes)])),
        ContentLength: this.reportedLength.get(id) ?? bytes.length,
      };
    });
    this.mock.on(PutObjectCommand).callsFake(async (input) => {
      const body = input.Body;
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body as Uint8Array;
      this.objects.set(`${input.Bucket}/${input.Key}`, bytes);
      return { ETag: '"etag"' };
    });
  }

  put(bucket: string, key: string, content: string | Uint8Array): void {
    this.objects.set(`${bucket}/${key}`, typeof content === 'string' ? new TextEncoder().encode(content) : content);
  }

  text(bucket: string, key: string): string | undefined {
    const bytes = this.objects.get(`${bucket}/${key}`);
    return bytes ? new TextDecoder().decode(bytes) : undefined;
  }
}

/** A real zip archive, as CodePipeline stores input artifacts. */
export function zip(files: Record<string, string | Uint8Array>): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, content] of Object.entries(files)) {
    entries[name] = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  }
  return zipSync(entries);
}

// -------------------------------------------------------------------------------------- CodePipeline

type JobStatus = 'InProgress' | 'Succeeded' | 'Failed';

/** The trigger function's name, as a job's FunctionName gives it. */
export const TRIGGER_FUNCTION_NAME = 'deploy-trigger';
/** When the action of every issued job started (CodePipeline's action execution start time). */
export const ACTION_START = T0;

/** A job CodePipeline issued: what GetJobDetails describes. */
export interface IssuedJob {
  readonly id: string;
  readonly userParameters?: string;
  readonly artifact?: { readonly bucket: string; readonly key: string };
  readonly continuationToken?: string;
  readonly functionName?: string;
  /** @default my-pipeline */
  readonly pipelineName?: string;
}

/**
 * CodePipeline: the jobs it issued (GetJobDetails, and ListActionExecutions for their action executions, which
 * are in progress while the job is), and the job results: a success with a continuation token keeps the job in
 * progress; a success without one or a failure ends it; answering an ended job raises InvalidJobStateException.
 */
export class FakeCodePipeline {
  readonly client = new CodePipelineClient(CLIENT_CONFIG);
  readonly mock = mockClient(this.client);
  /** The results the jobs took. */
  readonly jobs = new Map<string, JobStatus>();
  readonly issued = new Map<string, IssuedJob>();
  /** The status of a job's action execution, as ListActionExecutions gives it. @default InProgress */
  readonly actionStatus = new Map<string, string>();
  /** The pipelines the function may call ListActionExecutions on (IAM). @default - all */
  servedPipelines?: string[];
  readonly successes: PutJobSuccessResultCommandInput[] = [];
  readonly failures: PutJobFailureResultCommandInput[] = [];

  constructor() {
    this.mock.on(GetJobDetailsCommand).callsFake(async (input) => {
      const job = this.issued.get(input.jobId!);
      if (!job) throw new JobNotFoundException({ message: `Job ${input.jobId} not found`, $metadata: { httpStatusCode: 404 } });
      return {
        jobDetails: {
          id: job.id,
          accountId: '123456789012',
          data: {
            actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' },
            actionConfiguration: {
              configuration: {
                FunctionName: job.functionName ?? TRIGGER_FUNCTION_NAME,
                ...(job.userParameters !== undefined ? { UserParameters: job.userParameters } : {}),
              },
            },
            pipelineContext: {
              pipelineName: job.pipelineName ?? 'my-pipeline',
              pipelineExecutionId: 'pipeline-execution-1',
              stage: { name: 'Deploy' },
              action: { name: 'Deploy', actionExecutionId: `action-of-${job.id}` },
            },
            inputArtifacts: job.artifact
              ? [{ name: 'BuildOutput', location: { type: 'S3', s3Location: { bucketName: job.artifact.bucket, objectKey: job.artifact.key } } }]
              : [],
            ...(job.continuationToken ? { continuationToken: job.continuationToken } : {}),
          },
        },
      };
    });
    this.mock.on(ListActionExecutionsCommand).callsFake(async (input) => {
      if (this.servedPipelines && !this.servedPipelines.includes(input.pipelineName!)) {
        throw awsError('AccessDeniedException', `not authorized to perform: codepipeline:ListActionExecutions on resource: ${input.pipelineName}`);
      }
      return this.listed(input.pipelineName!);
    });
    this.answerResults();
  }

  /** CodePipeline issues (or re-describes) a job. */
  issue(job: IssuedJob): void {
    this.issued.set(job.id, job);
  }

  private listed(pipelineName: string) {
    return {
      actionExecutionDetails: [...this.issued.values()].filter((job) => (job.pipelineName ?? 'my-pipeline') === pipelineName).map((job) => ({
        actionExecutionId: `action-of-${job.id}`,
        pipelineExecutionId: 'pipeline-execution-1',
        startTime: new Date(ACTION_START),
        status: this.actionStatus.get(job.id) ?? 'InProgress',
      })),
    };
  }

  private answerResults(): void {
    this.mock.on(PutJobSuccessResultCommand).callsFake(async (input) => {
      this.checkOpen(input.jobId!);
      this.successes.push(input);
      this.jobs.set(input.jobId!, input.continuationToken ? 'InProgress' : 'Succeeded');
      return {};
    });
    this.mock.on(PutJobFailureResultCommand).callsFake(async (input) => {
      this.checkOpen(input.jobId!);
      this.failures.push(input);
      this.jobs.set(input.jobId!, 'Failed');
      return {};
    });
  }

  private checkOpen(jobId: string): void {
    const status = this.jobs.get(jobId) ?? 'InProgress';
    if (status !== 'InProgress') {
      throw new InvalidJobStateException({ message: `Job ${jobId} is in state ${status}`, $metadata: { httpStatusCode: 400 } });
    }
  }

  get lastSuccess(): PutJobSuccessResultCommandInput {
    return this.successes[this.successes.length - 1];
  }

  get lastFailure(): PutJobFailureResultCommandInput {
    return this.failures[this.failures.length - 1];
  }
}

// ---------------------------------------------------------------------------------------- Step Functions

export interface FakeExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
}

/**
 * Step Functions executions: names are unique per state machine; StartExecution with an existing name and
 * the same input returns the existing execution while it runs; otherwise it raises ExecutionAlreadyExists.
 */
export class FakeStepFunctions {
  readonly client = new SFNClient(CLIENT_CONFIG);
  readonly mock = mockClient(this.client);
  readonly executions = new Map<string, FakeExecution>();

  constructor() {
    this.mock.on(StartExecutionCommand).callsFake(async (input) => {
      const arn = `${input.stateMachineArn!.replace(':stateMachine:', ':execution:')}:${input.name}`;
      const existing = this.executions.get(arn);
      if (existing) {
        if (existing.input === input.input && existing.status === 'RUNNING') return { executionArn: arn, startDate: new Date(T0) };
        throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${arn}'`, $metadata: { httpStatusCode: 400 } });
      }
      this.executions.set(arn, { executionArn: arn, name: input.name!, input: input.input!, status: 'RUNNING' });
      return { executionArn: arn, startDate: new Date(T0) };
    });
    this.mock.on(DescribeExecutionCommand).callsFake(async (input) => {
      const execution = this.executions.get(input.executionArn!);
      if (!execution) {
        throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${input.executionArn}'`, $metadata: { httpStatusCode: 400 } });
      }
      return { ...execution, stateMachineArn: STATE_MACHINE_ARN, startDate: new Date(T0) };
    });
  }

  only(): FakeExecution {
    expect(this.executions.size).toBe(1);
    return [...this.executions.values()][0];
  }

  /** Registers an execution that was started earlier (by another invocation). */
  add(execution: Partial<FakeExecution> & { name: string }): FakeExecution {
    const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${execution.name}`;
    const created: FakeExecution = { executionArn, input: '{}', status: 'RUNNING', ...execution };
    this.executions.set(executionArn, created);
    return created;
  }
}

// ----------------------------------------------------------------------------------------- CloudFormation

export interface FakeStack {
  name: string;
  id: string;
  status: string;
  statusReason?: string;
}

export interface FakeChangeSet {
  stackName: string;
  name: string;
  type: string;
  status: string;
  statusReason?: string;
  changes: Change[];
  input: CreateChangeSetCommandInput;
  executed: boolean;
}

/**
 * CloudFormation stacks, change sets and stack events. DescribeStacks of a missing stack raises the
 * ValidationError "Stack with id X does not exist"; DescribeChangeSet and DescribeStackEvents paginate.
 */
export class FakeCloudFormation {
  readonly client = new CloudFormationClient(CLIENT_CONFIG);
  readonly mock = mockClient(this.client);
  readonly stacks = new Map<string, FakeStack>();
  readonly changeSets = new Map<string, FakeChangeSet>();
  readonly createdStacks: CreateStackCommandInput[] = [];
  /** Stack events, newest first (as CloudFormation returns them). */
  events: StackEvent[] = [];
  changesPageSize = 100;
  eventsPageSize = 100;

  constructor() {
    this.mock.on(DescribeStacksCommand).callsFake(async (input) => {
      const stack = this.stacks.get(input.StackName!);
      if (!stack) throw doesNotExist(input.StackName!);
      return {
        Stacks: [{
          StackName: stack.name,
          StackId: stack.id,
          StackStatus: stack.status as any,
          StackStatusReason: stack.statusReason,
          CreationTime: new Date(T0),
        }],
      };
    });
    this.mock.on(CreateStackCommand).callsFake(async (input) => {
      if (this.stacks.has(input.StackName!)) {
        throw new AlreadyExistsException({ message: `Stack [${input.StackName}] already exists`, $metadata: { httpStatusCode: 400 } });
      }
      this.createdStacks.push(input);
      const stack = this.addStack(input.StackName!, 'CREATE_IN_PROGRESS');
      return { StackId: stack.id };
    });
    this.mock.on(CreateChangeSetCommand).callsFake(async (input) => {
      const key = `${input.StackName}/${input.ChangeSetName}`;
      if (this.changeSets.has(key)) {
        throw new AlreadyExistsException({ message: `ChangeSet [${input.ChangeSetName}] already exists`, $metadata: { httpStatusCode: 400 } });
      }
      const stack = this.stacks.get(input.StackName!);
      if (input.ChangeSetType === 'UPDATE' && !stack) throw doesNotExist(input.StackName!);
      if (input.ChangeSetType === 'CREATE' && stack && stack.status !== 'REVIEW_IN_PROGRESS') {
        throw new AlreadyExistsException({ message: `Stack [${input.StackName}] already exists`, $metadata: { httpStatusCode: 400 } });
      }
      const owner = stack ?? this.addStack(input.StackName!, 'REVIEW_IN_PROGRESS');
      this.changeSets.set(key, {
        stackName: input.StackName!,
        name: input.ChangeSetName!,
        type: input.ChangeSetType ?? 'UPDATE',
        status: 'CREATE_PENDING',
        changes: [],
        input,
        executed: false,
      });
      return { Id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/${input.ChangeSetName}/1`, StackId: owner.id };
    });
    this.mock.on(DescribeChangeSetCommand).callsFake(async (input) => {
      const changeSet = this.changeSet(input.StackName!, input.ChangeSetName!);
      const start = input.NextToken ? Number(input.NextToken.replace('page-', '')) : 0;
      const end = start + this.changesPageSize;
      return {
        ChangeSetName: changeSet.name,
        StackName: changeSet.stackName,
        Status: changeSet.status as any,
        StatusReason: changeSet.statusReason,
        ExecutionStatus: 'AVAILABLE',
        Changes: changeSet.changes.slice(start, end),
        NextToken: end < changeSet.changes.length ? `page-${end}` : undefined,
      };
    });
    this.mock.on(ExecuteChangeSetCommand).callsFake(async (input) => {
      const changeSet = this.changeSet(input.StackName!, input.ChangeSetName!);
      changeSet.executed = true;
      this.stacks.get(input.StackName!)!.status = changeSet.type === 'CREATE' ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
      return {};
    });
    this.mock.on(DeleteChangeSetCommand).callsFake(async (input) => {
      this.changeSet(input.StackName!, input.ChangeSetName!);
      this.changeSets.delete(`${input.StackName}/${input.ChangeSetName}`);
      return {};
    });
    this.mock.on(DescribeStackEventsCommand).callsFake(async (input) => {
      const start = input.NextToken ? Number(input.NextToken.replace('events-', '')) : 0;
      const end = start + this.eventsPageSize;
      return { StackEvents: this.events.slice(start, end), NextToken: end < this.events.length ? `events-${end}` : undefined };
    });
  }

  addStack(name: string, status: string, statusReason?: string): FakeStack {
    const stack = { name, id: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/0f1e2d3c`, status, statusReason };
    this.stacks.set(name, stack);
    return stack;
  }

  /** Registers a change set in the state CloudFormation reached after creating it. */
  addChangeSet(stackName: string, name: string, changes: Change[], status = 'CREATE_COMPLETE', statusReason?: string): FakeChangeSet {
    const changeSet: FakeChangeSet = {
      stackName, name, type: 'UPDATE', status, statusReason, changes, input: {} as CreateChangeSetCommandInput, executed: false,
    };
    this.changeSets.set(`${stackName}/${name}`, changeSet);
    return changeSet;
  }

  private changeSet(stackName: string, name: string): FakeChangeSet {
    const changeSet = this.changeSets.get(`${stackName}/${name}`);
    if (!changeSet) {
      throw new ChangeSetNotFoundException({ message: `ChangeSet [${name}] does not exist`, $metadata: { httpStatusCode: 404 } });
    }
    return changeSet;
  }
}

// ------------------------------------------------------------------------------------------ fixtures

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
    ...overrides,
  };
}

/** A CloudFormation resource change. */
export function change(
  action: string, logicalId: string, resourceType = 'AWS::SQS::Queue', extra: Record<string, string> = {},
): Change {
  return { Type: 'Resource', ResourceChange: { Action: action as any, LogicalResourceId: logicalId, ResourceType: resourceType, ...extra } };
}
