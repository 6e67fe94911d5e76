/**
 * The two AWS APIs moto cannot serve for this demo, simulated in-process behind a real HTTP endpoint:
 * CodePipeline's jobs (GetJobDetails, ListActionExecutions, job results) and Step Functions' executions. The
 * built assets reach them through the SDK's service endpoints (AWS_ENDPOINT_URL_CODEPIPELINE,
 * AWS_ENDPOINT_URL_SFN); executions run the synthesized definition in the local Step Functions (./local-sfn.ts),
 * each Task state calling the built task asset.
 *
 * Time is virtual (a SleepingClock that CodePipeline's side moves): a Wait state takes the seconds it asks for
 * on that clock, so an execution is as far along, when CodePipeline invokes the trigger again, as it would be
 * in AWS (with AWS answering at once).
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { StateMachineDefinition } from './definition';
import { startLocalExecution } from './local-sfn';
import { jobDetailsOf } from './pipeline-job';
import type { SimulatedJob } from './pipeline-job';
import type { SleepingClock } from './virtual-time';

export type TaskHandler = (event: unknown) => Promise<unknown>;

/** A job CodePipeline issued to the deploy action, and when its action started (epoch ms). */
export interface DemoJob extends SimulatedJob {
  readonly startTime: number;
}

export interface StateVisit {
  readonly name: string;
  readonly type: string;
  readonly output?: any;
}

export interface LocalExecution {
  readonly arn: string;
  readonly name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  /** The state entered last. */
  current?: string;
  /** The task function's calls under way: the Task state, the payload it sent, and whether it waits for a task token. */
  readonly calls: Set<{ readonly state: string; readonly payload: unknown; readonly token: boolean }>;
  output?: string;
  error?: string;
  cause?: string;
  readonly visits: StateVisit[];
  /** Seconds spent in Wait states (virtual). */
  waitedSeconds: number;
  readonly done: Promise<void>;
}

export interface JobResult {
  readonly kind: 'success' | 'failure';
  readonly body: Record<string, any>;
}

export interface ControlPlane {
  readonly endpoint: string;
  readonly executions: Map<string, LocalExecution>;
  readonly jobResults: Map<string, JobResult[]>;
  /** Counts of API calls by "Service.Operation". */
  readonly calls: Record<string, number>;
  /** CodePipeline issues a job (a pipeline execution reached the action). */
  issueJob(job: DemoJob): void;
  /** CodePipeline's next job for an action answered with a continuation token. */
  continueJob(previous: string, next: string): void;
  close(): Promise<void>;
}

export async function startControlPlane(
  definition: StateMachineDefinition, taskHandler: TaskHandler, stateMachineArn: string, clock: SleepingClock, awaitEvent: AwaitEvent,
): Promise<ControlPlane> {
  const executions = new Map<string, LocalExecution>();
  const jobResults = new Map<string, JobResult[]>();
  const jobs = new Map<string, DemoJob>();
  /** Action executions and their status: InProgress until a result ends the job. */
  const actions = new Map<string, string>();
  const calls: Record<string, number> = {};

  const operations: Record<string, (body: any) => any> = {
    'AWSStepFunctions.StartExecution': (body) => {
      const arn = `${String(body.stateMachineArn).replace(':stateMachine:', ':execution:')}:${body.name}`;
      if (executions.has(arn)) throw apiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
      executions.set(arn, runExecution(definition, arn, body.name, JSON.parse(body.input), taskHandler, clock, awaitEvent));
      return { executionArn: arn, startDate: clock.now() / 1000 };
    },
    'AWSStepFunctions.DescribeExecution': (body) => {
      const execution = executions.get(body.executionArn);
      if (!execution) throw apiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
      return {
        executionArn: execution.arn,
        name: execution.name,
        status: execution.status,
        startDate: Date.now() / 1000,
        ...(execution.output !== undefined ? { output: execution.output } : {}),
        ...(execution.error !== undefined ? { error: execution.error } : {}),
        ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
      };
    },
    'AWSStepFunctions.GetExecutionHistory': (body) => {
      // The functions may read the history of this state machine's executions only (IAM).
      if (!String(body.executionArn).startsWith(`${stateMachineArn.replace(':stateMachine:', ':execution:')}:`)) {
        throw apiError('AccessDeniedException', `not authorized to perform states:GetExecutionHistory on ${body.executionArn}`);
      }
      const execution = executions.get(body.executionArn);
      if (!execution) throw apiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
      // What the functions read, newest first: for each call of the task function under way, its state's entry and
      // the call with the payload sent (as Step Functions records it), each chained on the event before it; an
      // execution that ended has its end event last. (A model of what the task function's caller check reads.)
      const data = (text: string) => (body.includeExecutionData === false ? {} : { input: text });
      const events: Record<string, unknown>[] = [{ id: 1, previousEventId: 0, type: 'ExecutionStarted' }];
      for (const call of execution.calls) {
        const id = events.length + 1;
        events.push({ id, previousEventId: 1, type: 'TaskStateEntered', stateEnteredEventDetails: { name: call.state } });
        events.push(call.token
          ? {
            id: id + 1,
            previousEventId: id,
            type: 'TaskScheduled',
            taskScheduledEventDetails: {
              resourceType: 'lambda',
              resource: 'invoke.waitForTaskToken',
              region: 'local',
              ...(body.includeExecutionData === false ? {} : { parameters: JSON.stringify({ Payload: call.payload }) }),
            },
          }
          : { id: id + 1, previousEventId: id, type: 'LambdaFunctionScheduled', lambdaFunctionScheduledEventDetails: { resource: 'task', ...data(JSON.stringify(call.payload)) } });
        events.push({ id: id + 2, previousEventId: id + 1, type: call.token ? 'TaskStarted' : 'LambdaFunctionStarted' });
      }
      if (execution.status !== 'RUNNING') {
        events.push({ id: events.length + 1, previousEventId: events.length, type: execution.status === 'SUCCEEDED' ? 'ExecutionSucceeded' : 'ExecutionFailed' });
      }
      const timed = events.map((e) => ({ ...e, timestamp: Date.now() / 1000 }));
      return { events: body.reverseOrder ? timed.reverse() : timed };
    },
    'CodePipeline_20150709.GetJobDetails': (body) => {
      const job = jobs.get(body.jobId);
      if (!job) throw apiError('JobNotFoundException', `Job ${body.jobId} not found`);
      return jobDetailsOf(job);
    },
    'CodePipeline_20150709.ListActionExecutions': (body) => ({
      actionExecutionDetails: [...jobs.values()]
        .filter((j) => j.pipelineName === body.pipelineName && j.pipelineExecutionId === body.filter?.pipelineExecutionId)
        .map((j) => ({
          actionExecutionId: j.actionExecutionId,
          pipelineExecutionId: j.pipelineExecutionId,
          stageName: j.stageName,
          actionName: 'Deploy',
          startTime: j.startTime / 1000,
          status: actions.get(j.actionExecutionId) ?? 'InProgress',
        })),
    }),
    'CodePipeline_20150709.PutJobSuccessResult': (body) => {
      if (!body.continuationToken) endAction(body.jobId, 'Succeeded');
      return recordJob(jobResults, body.jobId, { kind: 'success', body });
    },
    'CodePipeline_20150709.PutJobFailureResult': (body) => {
      endAction(body.jobId, 'Failed');
      return recordJob(jobResults, body.jobId, { kind: 'failure', body });
    },
  };
  const endAction = (jobId: string, status: string) => {
    const job = jobs.get(jobId);
    if (job) actions.set(job.actionExecutionId, status);
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => { raw += chunk; });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      calls[target] = (calls[target] ?? 0) + 1;
      const contentType = target.startsWith('AWSStepFunctions') ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
      try {
        const operation = operations[target];
        if (!operation) throw apiError('UnknownOperationException', `the demo does not simulate ${target}`);
        const result = operation(raw ? JSON.parse(raw) : {});
        res.writeHead(200, { 'content-type': contentType }).end(JSON.stringify(result ?? {}));
      } catch (e) {
        const error = e as Error & { code?: string };
        res.writeHead(400, { 'content-type': contentType })
          .end(JSON.stringify({ __type: error.code ?? 'InternalFailure', message: error.message }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    executions,
    jobResults,
    issueJob: (job) => {
      jobs.set(job.id, job);
    },
    continueJob: (previous, next) => {
      const job = jobs.get(previous);
      const token = jobResults.get(previous)?.slice(-1)[0]?.body.continuationToken;
      if (!job || !token) throw new Error(`job ${previous} was not answered with a continuation token`);
      jobs.set(next, { ...job, id: next, continuationToken: token });
    },
    calls,
    close: async () => {
      await Promise.allSettled([...executions.values()].map((e) => e.done));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The demo's stand-in for CloudFormation's status events, which moto does not send: the stack's status as moto has
 * it. A final status answers the wait at once, as its event would; otherwise the wait sleeps through the safety poll
 * interval (`sleep`) and ends with States.Timeout, as a wait whose events were lost.
 */
export type AwaitEvent = (stackName: string, sleep: (seconds: number) => Promise<void>) => Promise<unknown>;

function runExecution(
  definition: StateMachineDefinition, arn: string, name: string, input: unknown, taskHandler: TaskHandler, clock: SleepingClock,
  awaitEvent: AwaitEvent,
): LocalExecution {
  const execution: Omit<LocalExecution, 'done'> = { arn, name, status: 'RUNNING', calls: new Set(), visits: [], waitedSeconds: 0 };
  // Where the execution is on the virtual clock: its start, plus every Wait it took.
  let time = clock.now();
  const done = startLocalExecution(definition, input, {
    // The context Step Functions gives the states: the execution's ARN and name.
    context: { Execution: { Id: arn, Name: name }, Task: { Token: `demo-task-token-${name}` } },
    // A Wait sleeps until the clock gets to its end.
    afterWait: async ({ seconds }) => {
      execution.waitedSeconds += seconds;
      time += seconds * 1000;
      await clock.sleepUntil(time);
    },
    // A state that waits for a task token receives Lambda's request shape, { FunctionName, Payload }.
    task: async (state, request) => {
      // A wait on the stack's status events (DynamoDB PutItem with the task token): the demo's event source answers it.
      if (request?.TableName && request?.Item?.pk) {
        execution.current = state;
        return awaitEvent(request.Item.pk.S.split('#')[0], async (seconds) => {
          time += seconds * 1000;
          await clock.sleepUntil(time);
        });
      }
      const event = request?.Payload ?? request;
      // Step Functions' history shows the call under way, with the payload sent, while the function runs.
      execution.current = state;
      const call = { state, payload: JSON.parse(JSON.stringify(event ?? null)), token: request?.Payload !== undefined };
      execution.calls.add(call);
      try {
        return await taskHandler(event);
      } finally {
        execution.calls.delete(call);
      }
    },
    realRetryIntervals: true,
    onEvent: (event) => {
      if (event.type === 'StateEntered') execution.current = event.state.name;
      if (event.type === 'StateExited') {
        execution.visits.push({ name: event.state.name, type: event.state.type, output: event.state.output });
      } else if (event.type === 'StateFailed' || event.type === 'StateCaught') {
        if (!execution.visits.some((v) => v.name === event.state.name && v.output === undefined)) {
          execution.visits.push({ name: event.state.name, type: event.state.type });
        }
      }
    },
  }).then((result) => {
    execution.status = result.status;
    if (result.status === 'SUCCEEDED') execution.output = JSON.stringify(result.output);
    else Object.assign(execution, { error: result.error, cause: result.cause });
  }, (error: Error) => {
    execution.status = 'FAILED';
    Object.assign(execution, { error: error.name, cause: error.message });
  });
  return Object.assign(execution, { done });
}

function recordJob(results: Map<string, JobResult[]>, jobId: string, result: JobResult): Record<string, never> {
  results.set(jobId, [...(results.get(jobId) ?? []), result]);
  return {};
}

function apiError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
