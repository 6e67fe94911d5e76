/**
 * Hand-written fakes of the AWS clients the handlers use: objects with a `send(command)` method that answer
 * from a small model on the virtual clock and count every call by operation.
 */
import type { VirtualClock } from '../demo/lib/virtual-time';

/** Counts of calls by operation name. */
export type CallCounts = Record<string, number>;

abstract class FakeClient {
  public readonly calls: CallCounts = {};
  public async send(command: { input: any; constructor: { name: string } }): Promise<any> {
    const operation = command.constructor.name.replace(/Command$/, '');
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    return this.answer(operation, command.input ?? {});
  }
  protected abstract answer(operation: string, input: any): any;
}

function apiError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

export interface FakeStackOptions {
  readonly stackName: string;
  /** How long the stack update runs after ExecuteChangeSet (UPDATE_IN_PROGRESS, then UPDATE_COMPLETE). */
  readonly updateMs: number;
  /** How long a change set takes to reach CREATE_COMPLETE (CREATE_IN_PROGRESS until then). */
  readonly changeSetMs: number;
  /** The changes the change set holds. */
  readonly changes: unknown[];
}

/**
 * CloudFormation with one existing stack (UPDATE_COMPLETE). A change set is CREATE_IN_PROGRESS for
 * `changeSetMs`, then CREATE_COMPLETE; executing it makes the stack UPDATE_IN_PROGRESS for `updateMs`, then
 * UPDATE_COMPLETE (the short UPDATE_COMPLETE_CLEANUP_IN_PROGRESS phase is not modelled).
 */
export class FakeCloudFormation extends FakeClient {
  /** When the stack update finished (epoch ms), once ExecuteChangeSet was called. */
  public stackCompletedAt?: number;
  public executedAt?: number;
  /** DescribeStacks calls since ExecuteChangeSet: the stack status polls. */
  public pollsSinceExecute = 0;
  private changeSet?: { name: string; createdAt: number; executed: boolean };
  private readonly stackId: string;

  constructor(private readonly clock: VirtualClock, private readonly options: FakeStackOptions) {
    super();
    this.stackId = `arn:aws:cloudformation:us-east-1:123456789012:stack/${options.stackName}/0b1c2d3e`;
  }

  protected answer(operation: string, input: any): any {
    const now = this.clock.now();
    if (input.StackName !== undefined && input.StackName !== this.options.stackName && input.StackName !== this.stackId) {
      throw apiError('ValidationError', `Stack with id ${input.StackName} does not exist`);
    }
    switch (operation) {
      case 'DescribeStacks':
        if (this.executedAt !== undefined) this.pollsSinceExecute++;
        return {
          Stacks: [{
            StackName: this.options.stackName,
            StackId: this.stackId,
            CreationTime: new Date(0),
            // CloudFormation sets LastUpdatedTime when an update starts.
            LastUpdatedTime: new Date(this.executedAt ?? 1),
            StackStatus: this.stackCompletedAt !== undefined && now < this.stackCompletedAt ? 'UPDATE_IN_PROGRESS' : 'UPDATE_COMPLETE',
          }],
        };
      case 'CreateChangeSet':
        if (this.changeSet?.name === input.ChangeSetName) throw apiError('AlreadyExistsException', `ChangeSet ${input.ChangeSetName} already exists`);
        this.changeSet = { name: input.ChangeSetName, createdAt: now, executed: false };
        return { Id: `${this.stackId}:changeSet/${input.ChangeSetName}`, StackId: this.stackId };
      case 'DescribeChangeSet': {
        const changeSet = this.changeSetNamed(input.ChangeSetName);
        const ready = now >= changeSet.createdAt + this.options.changeSetMs;
        return {
          ChangeSetName: changeSet.name,
          StackName: this.options.stackName,
          StackId: this.stackId,
          Status: ready ? 'CREATE_COMPLETE' : 'CREATE_IN_PROGRESS',
          ExecutionStatus: changeSet.executed
            ? (now < this.stackCompletedAt! ? 'EXECUTE_IN_PROGRESS' : 'EXECUTE_COMPLETE') : ready ? 'AVAILABLE' : 'UNAVAILABLE',
          Changes: ready ? this.options.changes : [],
        };
      }
      case 'ExecuteChangeSet': {
        const changeSet = this.changeSetNamed(input.ChangeSetName);
        if (now < changeSet.createdAt + this.options.changeSetMs) throw apiError('InvalidChangeSetStatus', 'the change set is not ready');
        if (changeSet.executed) throw apiError('InvalidChangeSetStatus', 'the change set was executed already');
        changeSet.executed = true;
        this.executedAt = now;
        this.stackCompletedAt = now + this.options.updateMs;
        return {};
      }
      case 'DeleteChangeSet':
        this.changeSetNamed(input.ChangeSetName);
        this.changeSet = undefined;
        return {};
      case 'DescribeStackEvents':
        return { StackEvents: [] };
      default:
        throw new Error(`the fake CloudFormation does not model ${operation}`);
    }
  }

  private changeSetNamed(name: string) {
    if (!this.changeSet || this.changeSet.name !== name) throw apiError('ChangeSetNotFoundException', `ChangeSet [${name}] does not exist`);
    return this.changeSet;
  }
}

/** S3 holding the pipeline's input artifact (a zip). */
export class FakeS3 extends FakeClient {
  constructor(private readonly objects: Record<string, Uint8Array>) {
    super();
  }

  protected answer(operation: string, input: any): any {
    const id = `${input.Bucket}/${input.Key}`;
    switch (operation) {
      case 'GetObject': {
        const bytes = this.objects[id];
        if (!bytes) throw apiError('NoSuchKey', `no object ${id}`);
        return {
          ContentLength: bytes.length,
          Body: {
            transformToByteArray: async () => bytes,
            transformToString: async () => new TextDecoder().decode(bytes),
          },
        };
      }
      case 'PutObject':
        this.objects[id] = typeof input.Body === 'string' ? new TextEncoder().encode(input.Body) : input.Body;
        return {};
      default:
        throw new Error(`the fake S3 does not model ${operation}`);
    }
  }
}

/**
 * Step Functions as the trigger sees it: StartExecution records the execution; DescribeExecution answers
 * RUNNING until the virtual time the (separately run) execution ended, then its result.
 */
export class FakeStepFunctions extends FakeClient {
  public started?: { arn: string; name: string; input: string };
  private result?: { endedAt: number; status: string; output?: string; error?: string; cause?: string };

  constructor(private readonly clock: VirtualClock) {
    super();
  }

  public finish(result: { endedAt: number; status: string; output?: string; error?: string; cause?: string }): void {
    this.result = result;
  }

  protected answer(operation: string, input: any): any {
    switch (operation) {
      case 'StartExecution': {
        const arn = `${String(input.stateMachineArn).replace(':stateMachine:', ':execution:')}:${input.name}`;
        if (this.started) throw apiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
        this.started = { arn, name: input.name, input: input.input };
        return { executionArn: arn, startDate: new Date(this.clock.now()) };
      }
      case 'DescribeExecution': {
        if (!this.started || input.executionArn !== this.started.arn) throw apiError('ExecutionDoesNotExist', 'no such execution');
        const done = this.result && this.clock.now() >= this.result.endedAt;
        return {
          executionArn: this.started.arn,
          name: this.started.name,
          status: done ? this.result!.status : 'RUNNING',
          ...(done && this.result!.output !== undefined ? { output: this.result!.output } : {}),
          ...(done && this.result!.error !== undefined ? { error: this.result!.error, cause: this.result!.cause } : {}),
        };
      }
      default:
        throw new Error(`the fake Step Functions does not model ${operation}`);
    }
  }
}

/** The job CodePipeline issued to the action. */
export interface BenchJob {
  readonly id: string;
  readonly functionName: string;
  readonly userParameters: string;
  readonly artifact: { readonly bucket: string; readonly key: string };
  readonly startTime: number;
}

/**
 * CodePipeline for one job: GetJobDetails describes it (with the continuation token of the trigger's last answer),
 * ListActionExecutions lists its action as in progress until a final result; the job results are recorded.
 */
export class FakeCodePipeline extends FakeClient {
  public readonly results: { kind: 'success' | 'failure'; input: any }[] = [];

  constructor(private readonly job: BenchJob) {
    super();
  }

  protected answer(operation: string, input: any): any {
    const last = this.results[this.results.length - 1];
    switch (operation) {
      case 'GetJobDetails':
        if (input.jobId !== this.job.id) throw apiError('JobNotFoundException', `Job ${input.jobId} not found`);
        return {
          jobDetails: {
            id: this.job.id,
            data: {
              actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' },
              actionConfiguration: { configuration: { FunctionName: this.job.functionName, UserParameters: this.job.userParameters } },
              pipelineContext: { pipelineName: 'bench', pipelineExecutionId: 'pe-1', action: { name: 'Deploy', actionExecutionId: 'ae-1' } },
              inputArtifacts: [{ location: { type: 'S3', s3Location: { bucketName: this.job.artifact.bucket, objectKey: this.job.artifact.key } } }],
              ...(last?.input.continuationToken ? { continuationToken: last.input.continuationToken } : {}),
            },
          },
        };
      case 'ListActionExecutions':
        return {
          actionExecutionDetails: [{
            actionExecutionId: 'ae-1',
            pipelineExecutionId: 'pe-1',
            startTime: new Date(this.job.startTime),
            status: last && (last.kind === 'failure' || !last.input.continuationToken) ? 'Succeeded' : 'InProgress',
          }],
        };
      case 'PutJobSuccessResult':
        this.results.push({ kind: 'success', input });
        return {};
      case 'PutJobFailureResult':
        this.results.push({ kind: 'failure', input });
        return {};
      default:
        throw new Error(`the fake CodePipeline does not model ${operation}`);
    }
  }
}

/** The newest state an execution entered, as GetExecutionHistory shows it while that state's function runs. */
export class FakeExecutionHistory extends FakeClient {
  public current?: { executionArn: string; name: string; input: unknown };

  protected answer(operation: string, input: any): any {
    if (operation !== 'GetExecutionHistory') throw new Error(`the fake Step Functions history does not model ${operation}`);
    if (!this.current || input.executionArn !== this.current.executionArn) throw apiError('ExecutionDoesNotExist', 'no such execution');
    return {
      events: [{
        type: 'TaskStateEntered', stateEnteredEventDetails: { name: this.current.name, input: JSON.stringify(this.current.input) },
      }],
    };
  }
}

/** Sums call counts. */
export function addCounts(...counts: CallCounts[]): CallCounts {
  const total: CallCounts = {};
  for (const c of counts) for (const [op, n] of Object.entries(c)) total[op] = (total[op] ?? 0) + n;
  return total;
}

export function totalCalls(counts: CallCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
