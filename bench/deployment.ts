/**
 * Per-deployment cost and latency, measured: a stack update that takes D virtual minutes, deployed by
 *  - this library: the synthesized state machine (resolved by demo/lib/intrinsics.ts), every Task state running
 *    the REAL `runTask` of src/workflow/tasks.ts with `deps.now` = the virtual clock;
 *  - the seed's design: bench/seed-definition.json with the seed's task Lambdas (bench/seed-tasks.ts);
 * both on the same fake CloudFormation and S3 (test/fakes/, on the virtual clock), on the same local Step Functions
 * (demo/lib/local-sfn.ts, on the virtual clock: bench/local-run.ts), started and followed by the REAL trigger
 * (src/trigger/trigger.ts) as CodePipeline drives it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Change } from '@aws-sdk/client-cloudformation';
import { Duration } from 'aws-cdk-lib';
import { ACCOUNT, ENVIRONMENT, REGION, stackNameOf, synthesize, templatePathOf } from './apps';
import { runOnVirtualClock } from './local-run';
import type { LocalRun } from './local-run';
import { seedTaskFor } from './seed-tasks';
import type { SeedInput } from './seed-tasks';
import { allStates, definitionFromTemplate } from '../demo/lib/definition';
import type { StateMachineDefinition } from '../demo/lib/definition';
import { resolveIntrinsics } from '../demo/lib/intrinsics';
import type { Resources } from '../demo/lib/intrinsics';
import { lambdaJobEvent } from '../demo/lib/pipeline-job';
import { CODEPIPELINE_REINVOCATION_SECONDS, VirtualClock } from '../demo/lib/virtual-time';
import { STACK_EVENTS } from '../src/shared/contract';
import type { Deployment, WorkflowInput } from '../src/shared/contract';
import { runTrigger } from '../src/trigger/trigger';
import { runTask } from '../src/workflow/tasks';
import type { TaskEvent } from '../src/workflow/tasks';
import {
  FakeCloudFormation, FakeCloudWatch, FakeCodePipeline, FakeExecutionHistory, FakeS3, FakeStepFunctions, callCounts, zip,
} from '../test/fakes';
import type { CallCounts } from '../test/fakes';

/** CodePipeline's re-invocation period (an assumption, the demo's too); the same for both designs. */
export const CODEPIPELINE_CONTINUATION_SECONDS = CODEPIPELINE_REINVOCATION_SECONDS;
/** How long CloudFormation takes to create the change set (CREATE_IN_PROGRESS until then). */
export const CHANGE_SET_SECONDS = 10;
/** The stack update durations measured. */
export const UPDATE_MINUTES = [1, 10, 60];
/**
 * The delay depends on where the stack's completion falls between two polls, and between two of CodePipeline's
 * invocations of the trigger. So each duration D is run SWEEP_RUNS times: run j lasts D + j/SWEEP_RUNS x W, where W
 * is the longer of the two designs' poll intervals at D's completion (measured by the run at exactly D), so the
 * completions sample every phase of both poll schedules; and CodePipeline's first re-invocation comes
 * ((7j mod SWEEP_RUNS)/SWEEP_RUNS) x CODEPIPELINE_CONTINUATION_SECONDS later than in run 0 (the trigger's schedule
 * is not in step with the workflow's: Lambda and Step Functions latencies shift it), a phase uncorrelated with D's.
 * Counts are those of the run at exactly D (j = 0); delays are the mean and the maximum over the runs.
 */
export const SWEEP_RUNS = 16;
/** The action's timeout, given so that a 60-minute update's deployment fits whatever the default is. */
export const ACTION_TIMEOUT = Duration.hours(2);

const T0 = Date.parse('2025-01-01T00:00:00Z');
const ARTIFACT = { bucket: 'bench-pipeline-artifacts', key: 'BenchPipeline/Source/source.zip' };
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:bench-deploy`;
const STACK_INDEX = 0;
const STACK_NAME = `${ENVIRONMENT}-${stackNameOf(STACK_INDEX)}`;
const TEMPLATE_PATH = templatePathOf(STACK_INDEX);
/** The deployed template; the change set adds a queue (a safe change for both designs' policies). */
const TEMPLATE = {
  Resources: {
    OrdersQueue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30 } },
    OrdersDeadLetterQueue: { Type: 'AWS::SQS::Queue' },
  },
};
const CHANGES: Change[] = [{
  Type: 'Resource',
  ResourceChange: {
    Action: 'Add', LogicalResourceId: 'OrdersDeadLetterQueue', ResourceType: 'AWS::SQS::Queue', Scope: [], Details: [],
  },
}];

export type DeploymentDesign = LibraryDesign | 'seed';
type LibraryDesign = 'sfn-deploy-action' | 'sfn-deploy-unit-of-one' | 'sfn-deploy-events' | 'sfn-deploy-events-unit-of-one' | 'sfn-deploy-events-lost';

/**
 * This library's designs: how the pipeline is synthesized, and whether the stack's status events reach the workflow.
 * A unit of one deploys the same stack with `stacks: [the stack]`: through the unit's plan, review Map and judgement.
 */
const LIBRARY_DESIGNS: Record<LibraryDesign, { readonly workflow: WorkflowOptions; readonly eventsDelivered: boolean }> = {
  'sfn-deploy-action': { workflow: {}, eventsDelivered: false },
  'sfn-deploy-unit-of-one': { workflow: { unitOfOne: true }, eventsDelivered: false },
  'sfn-deploy-events': { workflow: { stackEvents: true }, eventsDelivered: true },
  'sfn-deploy-events-unit-of-one': { workflow: { stackEvents: true, unitOfOne: true }, eventsDelivered: true },
  'sfn-deploy-events-lost': { workflow: { stackEvents: true }, eventsDelivered: false },
};

/**
 * ASSUMPTION: a stack status event reaches the handler, and the handler's SendTaskSuccess the execution, this long
 * after the status changed (EventBridge and Lambda latency; AWS documents neither for these events).
 */
export const EVENT_LATENCY_MS = 1000;
/** The status events of one update (UPDATE_IN_PROGRESS, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, UPDATE_COMPLETE): handler invocations. */
const EVENTS_PER_UPDATE = 3;

export interface DeploymentRun {
  readonly design: DeploymentDesign;
  readonly updateMs: number;
  /** State transitions (StateEntered events). */
  readonly transitions: number;
  /** Lambda invocations by the state machine (Task states that call the task function). */
  readonly taskInvocations: number;
  /** Invocations of the stack event handler (one per status event delivered). */
  readonly eventHandlerInvocations: number;
  /** AWS API calls of the workflow's tasks (CloudFormation, S3), by operation. */
  readonly workflowCalls: CallCounts;
  /** DescribeStacks calls while the stack was updating or after: the status polls. */
  readonly updatePolls: number;
  /** Stack UPDATE_COMPLETE -> execution finished. */
  readonly workflowDelayMs: number;
  /** Stack UPDATE_COMPLETE -> the trigger's PutJobSuccessResult (the pipeline action finished). */
  readonly actionDelayMs: number;
  /** Trigger invocations by CodePipeline: the first one and the continuations. */
  readonly triggerInvocations: number;
  /** AWS API calls of the trigger (Step Functions, CodePipeline), by operation. */
  readonly pipelineCalls: CallCounts;
  /** The Wait during which the stack completed: the poll interval at that point. */
  readonly pollIntervalAtCompletionMs: number;
  /** When each CloudFormation describe call was made, milliseconds after the job started. */
  readonly describeCallTimes: number[];
  /** The job started -> the trigger's final answer: how long the pipeline action took. */
  readonly actionMs: number;
}

interface Workflow {
  readonly definition: StateMachineDefinition;
  readonly userParameters: string;
}

interface WorkflowOptions {
  /** The workflow wakes on the stack's status events. @default false */
  readonly stackEvents?: boolean;
  /** Rollback alarms and a monitoring time for the action. @default - none */
  readonly rollback?: { readonly alarmArns: string[]; readonly monitoringTime: Duration };
  /** The action deploys the stack as a unit of one (`stacks: [the stack]`) instead of by `stackName` and `templatePath`. @default false */
  readonly unitOfOne?: boolean;
}

/** Synthesizes the real pipeline stack (one StepFunctionsDeployAction) and reads its definition and UserParameters. */
export function synthesizeWorkflow(options: WorkflowOptions = {}): Workflow {
  const { stackEvents = false, rollback, unitOfOne = false } = options;
  const { template } = synthesize({
    design: unitOfOne ? 'sfn-deploy-unit' : 'sfn-deploy-action', stacks: 1, timeout: ACTION_TIMEOUT, stackEvents, ...(rollback ? { rollback } : {}),
  });
  const definition = definitionFromTemplate(template);
  const resources = template.Resources as Resources;
  const pipeline = Object.values(resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline') as Record<string, any>;
  const action = pipeline.Properties.Stages.flatMap((s: any) => s.Actions).find((a: any) => a.ActionTypeId.Provider === 'Lambda');
  return { definition, userParameters: resolveIntrinsics(action.Configuration.UserParameters, resources) };
}

export function seedDefinition(): StateMachineDefinition {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'seed-definition.json'), 'utf8'));
}

const JOB_ID = '11111111-2222-3333-4444-555555555555';
const TRIGGER_FUNCTION = 'trigger';

function jobEvent(userParameters: string, continuationToken?: string): unknown {
  return lambdaJobEvent({
    id: JOB_ID, functionName: TRIGGER_FUNCTION, userParameters, artifact: ARTIFACT, ...(continuationToken ? { continuationToken } : {}),
  });
}

/** One deployment of a stack update of `updateMs`, from the pipeline job to the job's final result. */
export async function measureDeployment(
  design: DeploymentDesign, updateMs: number, workflow: Workflow, seed: StateMachineDefinition, pipelinePhaseMs = 0, alarmNames: string[] = [],
): Promise<DeploymentRun> {
  // Two clocks on the same time line: the execution runs to its end first (`clock`), then CodePipeline's
  // invocations of the trigger are replayed from the start (`pipelineClock`) against the execution's end time.
  const clock = new VirtualClock(T0);
  const pipelineClock = new VirtualClock(T0);
  // One existing stack; the change set is ready after CHANGE_SET_SECONDS, the update runs for `updateMs`.
  // The rollback alarms, OK throughout (CloudWatch is read before the change set is made).
  const cloudwatch = new FakeCloudWatch(clock.now);
  for (const name of alarmNames) cloudwatch.putAlarm(name);
  const cloudformation = new FakeCloudFormation({ clock: clock.now, cloudwatch });
  cloudformation.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  cloudformation.onCreateChangeSet = { readyAfterMs: CHANGE_SET_SECONDS * 1000, changes: CHANGES };
  cloudformation.onExecuteChangeSet = { durationMs: updateMs };
  const s3 = new FakeS3();
  s3.put(ARTIFACT.bucket, ARTIFACT.key, zip({ [TEMPLATE_PATH]: JSON.stringify(TEMPLATE) }));
  const sfn = new FakeStepFunctions({ stateMachineArn: STATE_MACHINE_ARN, clock: pipelineClock.now });
  // CodePipeline invokes the trigger again for the same job, with the token of its last answer.
  const codepipeline = new FakeCodePipeline({ actionStart: T0, continuationKeepsJob: true });
  const job = { id: JOB_ID, functionName: TRIGGER_FUNCTION, userParameters: workflow.userParameters, artifact: ARTIFACT };
  const issue = (continuationToken?: string) => codepipeline.issue({ ...job, ...(continuationToken ? { continuationToken } : {}) });
  const triggerDeps = {
    codepipeline: codepipeline.client, sfn: sfn.client, s3: new FakeS3().client, stateMachineArn: STATE_MACHINE_ARN, functionName: TRIGGER_FUNCTION,
  };

  // CodePipeline starts the job: the trigger starts the execution.
  let triggerInvocations = 1;
  issue();
  const first = await runTrigger(jobEvent(workflow.userParameters), triggerDeps);
  const [started] = sfn.executions;
  if (first !== 'STARTED' || !started) throw new Error(`the trigger did not start the execution: ${first}`);
  const input = JSON.parse(started.input) as WorkflowInput;

  // The execution, to its end in virtual time.
  let run: LocalRun;
  let awaits = 0;
  // Every status event of the update is delivered to the handler, whether or not a wait is woken by it.
  const eventsDelivered = design !== 'seed' && LIBRARY_DESIGNS[design].eventsDelivered;
  const eventHandlerInvocations = eventsDelivered ? EVENTS_PER_UPDATE : 0;
  if (design !== 'seed') {
    const history = new FakeExecutionHistory(STATE_MACHINE_ARN);
    const deps = {
      cloudformation: cloudformation.client,
      s3: s3.client,
      cloudwatch: cloudwatch.client,
      codepipeline: codepipeline.client,
      sfn: history.client,
      region: REGION,
      now: clock.now,
    };
    const execution = { Id: started.executionArn, Name: started.name };
    run = await runOnVirtualClock(workflow.definition, input, clock, async (state, payload) => {
      if (state.startsWith('Await ')) {
        // A wait on the stack's status events: it ends when the final event arrives, or at the safety poll.
        awaits++;
        const endsAt = cloudformation.stacks.get(STACK_NAME)!.timed?.endsAt ?? clock.now();
        const safetyPollAt = clock.now() + STACK_EVENTS.safetyPollSeconds * 1000;
        if (eventsDelivered && endsAt + EVENT_LATENCY_MS <= safetyPollAt) {
          clock.advance(Math.max(0, endsAt + EVENT_LATENCY_MS - clock.now()));
          return { stackName: STACK_NAME, status: 'UPDATE_COMPLETE' };
        }
        clock.advance(safetyPollAt - clock.now());
        throw Object.assign(new Error('no event within the safety poll interval'), { name: 'States.Timeout' });
      }
      history.current.set(execution.Id, { executionArn: execution.Id, name: state, input: enteredInput(workflow.definition, state, payload.state) });
      return runTask(payload as TaskEvent, deps);
    }, { context: { Execution: execution, Task: { Token: 'bench-task-token' } } });
  } else {
    const deps = { cloudformation: cloudformation.client, s3: s3.client };
    const seedTask = (state: string, payload: any) => seedTaskFor(seed.States[state].Resource)(payload, deps);
    run = await runOnVirtualClock(seed, seedInputOf(input.deployment), clock, seedTask);
  }
  if (run.status !== 'SUCCEEDED') throw new Error(`${design}, ${updateMs} ms: the execution failed: ${run.error}: ${run.cause}`);
  const stackCompletedAt = cloudformation.stacks.get(STACK_NAME)!.timed?.endsAt;
  if (stackCompletedAt === undefined) throw new Error(`${design}: the change set was never executed`);
  sfn.finish(started.executionArn, run.endedAt, { status: run.status, output: run.output });

  // CodePipeline invokes the trigger again every CODEPIPELINE_CONTINUATION_SECONDS until it gets a final answer.
  pipelineClock.advance(pipelinePhaseMs);
  for (;;) {
    const token = codepipeline.answers[codepipeline.answers.length - 1]?.input.continuationToken;
    if (!token) break;
    pipelineClock.advance(CODEPIPELINE_CONTINUATION_SECONDS * 1000);
    triggerInvocations++;
    issue(token);
    const outcome = await runTrigger(jobEvent(workflow.userParameters, token), triggerDeps);
    if (outcome !== 'RUNNING' && outcome !== 'SUCCEEDED') throw new Error(`${design}: the trigger answered ${outcome}`);
    if (triggerInvocations > 1000) throw new Error('the trigger never finished');
  }
  const last = codepipeline.answers[codepipeline.answers.length - 1];
  if (last?.kind !== 'success') throw new Error(`${design}: the job did not succeed`);

  return {
    design,
    updateMs,
    transitions: run.entered.length,
    taskInvocations: run.taskInvocations - awaits,
    eventHandlerInvocations,
    workflowCalls: callCounts(cloudformation.mock, s3.mock, cloudwatch.mock),
    updatePolls: cloudformation.calls.slice(cloudformation.calls.findIndex((c) => c.op === 'ExecuteChangeSet'))
      .filter((c) => c.op === 'DescribeStacks').length,
    workflowDelayMs: run.endedAt - stackCompletedAt,
    actionDelayMs: pipelineClock.now() - stackCompletedAt,
    triggerInvocations,
    pipelineCalls: callCounts(sfn.mock, codepipeline.mock),
    pollIntervalAtCompletionMs: pollIntervalAt(run, stackCompletedAt),
    describeCallTimes: cloudformation.calls.filter((c) => c.op.startsWith('Describe')).map((c) => (c.at ?? T0) - T0),
    actionMs: pipelineClock.now() - T0,
  };
}

/**
 * The input a Task state was entered with, as far as its payload shows it: the payload's state, put back at the path
 * the state takes it from (`$`, or `$.unit.current` for a unit's stack being deployed).
 */
function enteredInput(definition: StateMachineDefinition, stateName: string, state: unknown): unknown {
  const [, entered] = allStates(definition).find(([name]) => name === stateName) ?? [];
  const statePath: string = entered?.Parameters?.['state.$'] ?? '$';
  return statePath.split('.').slice(1).reduceRight<unknown>((inner, key) => ({ [key]: inner }), state);
}

function pollIntervalAt(run: LocalRun, time: number): number {
  const wait = run.waits.find((w) => w.from < time && time <= w.to);
  return wait ? wait.to - wait.from : 0;
}

/** What the seed's trigger would give its state machine: its S3 input file's keys and the artifact location. */
function seedInputOf(deployment: Deployment): SeedInput {
  return {
    environmentName: ENVIRONMENT,
    stackName: deployment.stackName.slice(ENVIRONMENT.length + 1),
    templatePath: deployment.templatePath,
    revisionS3Bucket: deployment.artifact!.bucket,
    revisionS3Key: deployment.artifact!.key,
  };
}

export interface DeploymentSummary {
  readonly design: DeploymentDesign;
  readonly updateMinutes: number;
  /** The run at exactly D. */
  readonly exact: DeploymentRun;
  /** The window the stack's completion was spread over. */
  readonly sweepWindowMs: number;
  readonly workflowDelayMeanMs: number;
  readonly workflowDelayMaxMs: number;
  readonly actionDelayMeanMs: number;
  readonly actionDelayMaxMs: number;
}

export const DEPLOYMENT_DESIGNS: DeploymentDesign[] = [
  'sfn-deploy-events', 'sfn-deploy-events-unit-of-one', 'sfn-deploy-events-lost', 'sfn-deploy-action', 'sfn-deploy-unit-of-one', 'seed',
];

export async function measureDeployments(): Promise<DeploymentSummary[]> {
  // One synthesis per pipeline: the designs that differ only in the events delivered share it.
  const synthesized = new Map<string, Workflow>();
  const workflowOf = (design: DeploymentDesign) => {
    const options = design === 'seed' ? {} : LIBRARY_DESIGNS[design].workflow;
    const key = JSON.stringify(options);
    if (!synthesized.has(key)) synthesized.set(key, synthesizeWorkflow(options));
    return synthesized.get(key)!;
  };
  const seed = seedDefinition();
  const summaries: DeploymentSummary[] = [];
  for (const updateMinutes of UPDATE_MINUTES) {
    const updateMs = updateMinutes * 60_000;
    const exact: DeploymentRun[] = [];
    for (const design of DEPLOYMENT_DESIGNS) exact.push(await measureDeployment(design, updateMs, workflowOf(design), seed));
    const window = Math.max(...exact.map((r) => r.pollIntervalAtCompletionMs));
    if (window <= 0) throw new Error(`${updateMinutes} min: no poll interval around the stack's completion`);
    for (const [d, design] of DEPLOYMENT_DESIGNS.entries()) {
      const runs: DeploymentRun[] = [exact[d]];
      for (let j = 1; j < SWEEP_RUNS; j++) {
        const phase = Math.round((((7 * j) % SWEEP_RUNS) / SWEEP_RUNS) * CODEPIPELINE_CONTINUATION_SECONDS * 1000);
        runs.push(await measureDeployment(design, updateMs + Math.round((j / SWEEP_RUNS) * window), workflowOf(design), seed, phase));
      }
      const mean = (f: (r: DeploymentRun) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
      const max = (f: (r: DeploymentRun) => number) => Math.max(...runs.map(f));
      summaries.push({
        design,
        updateMinutes,
        exact: exact[d],
        sweepWindowMs: window,
        workflowDelayMeanMs: mean((r) => r.workflowDelayMs),
        workflowDelayMaxMs: max((r) => r.workflowDelayMs),
        actionDelayMeanMs: mean((r) => r.actionDelayMs),
        actionDelayMaxMs: max((r) => r.actionDelayMs),
      });
    }
  }
  return summaries;
}

/** The update and monitoring period of the rollback alarms measurement. */
export const MONITORED_UPDATE_MINUTES = 60;
export const MONITORING_MINUTES = 30;
const MONITORED_ALARMS = ['bench-errors', 'bench-latency'];

/**
 * A 60-minute update with two rollback alarms and a 30-minute monitoring period, on stack events (every event
 * delivered), beside the same update without alarms: the stack is UPDATE_IN_PROGRESS for 90 minutes in all.
 */
export async function measureMonitoredDeployment(): Promise<{ watched: DeploymentRun; plain: DeploymentRun }> {
  const updateMs = MONITORED_UPDATE_MINUTES * 60_000;
  const seed = seedDefinition();
  const watched = await measureDeployment('sfn-deploy-events', updateMs, synthesizeWorkflow({
    stackEvents: true,
    rollback: {
      alarmArns: MONITORED_ALARMS.map((name) => `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`), monitoringTime: Duration.minutes(MONITORING_MINUTES),
    },
  }), seed, 0, MONITORED_ALARMS);
  const plain = await measureDeployment('sfn-deploy-events', updateMs, synthesizeWorkflow({ stackEvents: true }), seed);
  return { watched, plain };
}

/** Concurrent deployments in one account: how many CloudFormation describe calls per second they make together. */
export interface ConcurrencySummary {
  readonly design: DeploymentDesign;
  readonly deployments: number;
  /** The deployments start at random times over this window (a fixed seed). */
  readonly startWindowMinutes: number;
  readonly updateMinutes: number;
  readonly peakCallsPerSecond: number;
  /** Over the time at least one deployment runs. */
  readonly meanCallsPerSecond: number;
  readonly totalCalls: number;
}

export const CONCURRENT_DEPLOYMENTS = 100;
export const CONCURRENT_START_WINDOW_MINUTES = 10;

/**
 * 100 deployments of a 60-minute update, starting at random times over 10 minutes: each makes its describe calls
 * (DescribeStacks, DescribeChangeSet, DescribeStackEvents) at the times one deployment's measured run made them;
 * summed per second of the virtual clock.
 */
export function simulateConcurrency(deployments: DeploymentSummary[]): ConcurrencySummary[] {
  const updateMinutes = Math.max(...UPDATE_MINUTES);
  return (['sfn-deploy-events', 'sfn-deploy-action', 'seed'] as const).map((design) => {
    const run = deployments.find((d) => d.design === design && d.updateMinutes === updateMinutes)!.exact;
    const random = seededRandom(20261130);
    const perSecond = new Map<number, number>();
    let end = 0;
    for (let i = 0; i < CONCURRENT_DEPLOYMENTS; i++) {
      const start = Math.floor(random() * CONCURRENT_START_WINDOW_MINUTES * 60_000);
      for (const t of run.describeCallTimes) {
        const second = Math.floor((start + t) / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
        end = Math.max(end, second);
      }
    }
    const total = [...perSecond.values()].reduce((a, b) => a + b, 0);
    return {
      design,
      deployments: CONCURRENT_DEPLOYMENTS,
      startWindowMinutes: CONCURRENT_START_WINDOW_MINUTES,
      updateMinutes,
      peakCallsPerSecond: Math.max(...perSecond.values()),
      meanCallsPerSecond: total / (end + 1),
      totalCalls: total,
    };
  });
}

/** A small seeded PRNG (Park and Miller's minimal standard): the same start times in every run. */
function seededRandom(seed: number): () => number {
  let state = seed % 2_147_483_647;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return (state - 1) / 2_147_483_646;
  };
}
