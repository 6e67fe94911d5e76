/**
 * The execution test harness: end-to-end executions of the synthesized state machine in the local engine (SPEC
 * section 6, layer 3).
 *
 * 1. `synthesizeWorkflow()` synthesizes a pipeline with a `StepFunctionsDeployAction` and turns the state
 *    machine's DefinitionString, the action's UserParameters and the trigger's STATE_MACHINE_ARN into plain
 *    values (intrinsics resolved to fake ARNs by demo/lib/intrinsics.ts).
 * 2. `runWorkflow()` runs that definition in the project's local Step Functions (demo/lib/local-sfn.ts). Every
 *    Task state runs the real task handler (`runTask`) in-process; a Task state that is not backed by the task
 *    function fails the test. Wait times and retry intervals are zero. Errors reach the workflow in the shape Lambda gives them.
 * 3. `runPipelineAction()` drives the real trigger as CodePipeline does: a job, then continuation jobs,
 *    against fake Step Functions whose executions are the local runs above.
 *
 * One world serves every test (`createWorld()`): the fakes behind the task deps (S3, CloudFormation with nested
 * change sets and stack outputs, CodePipeline, the Lambda client for policy functions, the SNS client for
 * approvers), the action it deploys and the person asked to approve, if any.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Change } from '@aws-sdk/client-cloudformation';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { allStates, definitionFromTemplate } from '../../demo/lib/definition';
import type { StateMachineDefinition } from '../../demo/lib/definition';
import { arnOf, resolveIntrinsics } from '../../demo/lib/intrinsics';
import type { Resources } from '../../demo/lib/intrinsics';
import { startLocalExecution } from '../../demo/lib/local-sfn';
import type { LocalEvent } from '../../demo/lib/local-sfn';
import { lambdaJobEvent } from '../../demo/lib/pipeline-job';
import { DeployStateMachine, StepFunctionsDeployAction } from '../../src';
import type { DeployStateMachineProps, StackToDeploy, StepFunctionsDeployActionProps } from '../../src';
import { parseUserParameters, toDeployment, validateConfig } from '../../src/shared/config';
import { CONFIG_VERSION, ENV, TASKS } from '../../src/shared/contract';
import type { ActionConfig, Deployment, WorkflowInput } from '../../src/shared/contract';
import { executionNameFor } from '../../src/shared/naming';
import { STATE_NAMES as S } from '../../src/shared/state-names';
import type { TriggerOutcome } from '../../src/trigger/trigger';
import { runTrigger } from '../../src/trigger/trigger';
import { approversOf, runApproval } from '../../src/workflow/approval';
import type { ApproverEntry } from '../../src/workflow/approval';
import { approvalMessage, unitApprovalMessage } from '../../src/workflow/approval-message';
import { runTask } from '../../src/workflow/tasks';
import type { TaskDeps, TaskEvent } from '../../src/workflow/tasks';
import {
  ACCOUNT, ARTIFACT_CREDENTIALS, CloudFormationExtras, FakeCloudFormation, FakeCloudWatch, FakeCodePipeline, FakeExecutionHistory, FakeLambda,
  FakeS3, FakeSns,
  FakeStackEvents, FakeStepFunctions, FakeTaskWaits, REGION, TEST_ENV, TRIGGER_FUNCTION_NAME, zip,
} from '../fakes';
import type { JobAnswer } from '../fakes';

export { S };

// ---------------------------------------------------------------------------------------------------------
// 1. Synthesis
// ---------------------------------------------------------------------------------------------------------

export interface SynthesizedWorkflow {
  /** The state machine definition, intrinsics resolved. */
  readonly definition: StateMachineDefinition;
  /** The fake ARN the Task states' Resource resolves to: the task function's. */
  readonly taskFunctionArn: string;
  /** The trigger function's STATE_MACHINE_ARN. */
  readonly stateMachineArn: string;
  /** The deploy action's UserParameters, as CodePipeline passes them to the trigger. */
  readonly userParameters: string;
  /** The approval function's APPROVERS: who may decide on which action's approvals. */
  readonly approvers: ApproverEntry[];
  /** The task function's APPROVAL_URL: the approval function's URL, as the fake value below. */
  readonly approvalUrl: string;
}

/** The URL Lambda gives the approval function, in the tests (the template's GetAtt FunctionUrl of its AWS::Lambda::Url). */
export const APPROVAL_URL = `https://a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6.lambda-url.${REGION}.on.aws/`;

/** The role the tests' approvers assume (granted approval on the action with `requireApproval`): sessions of it decide. */
export const APPROVER_ROLE_NAME = 'DeploymentApprovers';

/** An approver's session of the approvers' role, as AWS authenticates it: the caller the approval function sees. */
export function approverSession(session: string, account = ACCOUNT): string {
  return `arn:aws:sts::${account}:assumed-role/${APPROVER_ROLE_NAME}/${session}`;
}

/**
 * The action's properties as the execution tests write them: paths in the source artifact as text (the harness makes
 * them `ArtifactPath`s of its source artifact) and no action name (the action is `Deploy`).
 */
export type ActionSettings = Omit<StepFunctionsDeployActionProps, 'actionName' | 'templatePath' | 'templateConfiguration' | 'stacks'> & {
  readonly templatePath?: string;
  readonly templateConfiguration?: string;
  readonly stacks?: (Omit<StackToDeploy, 'templatePath' | 'templateConfiguration'> & { readonly templatePath: string; readonly templateConfiguration?: string })[];
};

/** The action's properties, the paths of `settings` in `source`. */
export function actionProps(settings: ActionSettings, source: codepipeline.Artifact): StepFunctionsDeployActionProps {
  const { templatePath, templateConfiguration, stacks, ...rest } = settings;
  const at = (file?: string) => (file === undefined ? undefined : source.atPath(file));
  return {
    ...rest,
    actionName: 'Deploy',
    ...(templatePath !== undefined ? { templatePath: at(templatePath) } : {}),
    ...(templateConfiguration !== undefined ? { templateConfiguration: at(templateConfiguration) } : {}),
    ...(stacks ? {
      stacks: stacks.map((s) => ({ ...s, templatePath: at(s.templatePath)!, templateConfiguration: at(s.templateConfiguration) })),
    } : {}),
  };
}

/** The action used by most tests: stack `prod-app` from `infra/app.json`. */
export const DEFAULT_ACTION: ActionSettings = {
  stackName: 'app',
  environmentName: 'prod',
  templatePath: 'infra/app.json',
};
export const STACK_NAME = 'prod-app';
export const TEMPLATE_PATH = 'infra/app.json';

let cached: SynthesizedWorkflow | undefined;

/** Synthesizes a pipeline whose Deploy stage holds a StepFunctionsDeployAction (memoized for the default action). */
export function synthesizeWorkflow(
  action: ActionSettings = DEFAULT_ACTION, workflow?: DeployStateMachineProps,
): SynthesizedWorkflow {
  if (action === DEFAULT_ACTION && !workflow && cached) return cached;
  const restore = stubMissingLambdaAssets();
  try {
    const app = new App();
    const stack = new Stack(app, 'PipelineStack', { env: { account: ACCOUNT, region: REGION } });
    const bucket = new s3.Bucket(stack, 'SourceBucket', { versioned: true });
    const source = new codepipeline.Artifact('Source');
    const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', {
      stages: [{
        stageName: 'Source',
        actions: [new cpactions.S3SourceAction({ actionName: 'Source', bucket, bucketKey: 'app.zip', output: source })],
      }],
    });
    // Most execution tests follow the polling waits; the tests of waking on events ask for them.
    const deployStateMachine = new DeployStateMachine(stack, 'Workflow', workflow ?? { stackEvents: false });
    const deployAction = new StepFunctionsDeployAction(stack, 'Deploy', { ...actionProps(action, source), deployStateMachine });
    pipeline.addStage({ stageName: 'Deploy', actions: [deployAction] });
    // An action that asks a person has its approvers: sessions of one role (any other action refuses approvers).
    grantApprovalIfAsked(deployAction, iam.Role.fromRoleName(stack, 'Approvers', APPROVER_ROLE_NAME));
    const result = fromTemplate(Template.fromStack(stack).toJSON());
    if (action === DEFAULT_ACTION && !workflow) cached = result;
    return result;
  } finally {
    restore();
  }
}

function grantApprovalIfAsked(action: StepFunctionsDeployAction, approvers: iam.IRole): void {
  try {
    action.grantApproval(approvers);
  } catch (e) {
    if (!/never asks for approval/.test((e as Error).message)) throw e;
  }
}

/** Synthesizes the default action (stack `prod-app`) with these properties added. */
export function synthesizeWith(props: Partial<ActionSettings>): SynthesizedWorkflow {
  return synthesizeWorkflow({ ...DEFAULT_ACTION, ...props });
}

export const POLICY_FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:change-set-policy`;
export const APPROVAL_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:deployment-approvals`;

/** Resources the action refers to that live outside the pipeline stack: the policy function, the approvers' topic. */
export function importedResources(): { policyFunction: lambda.IFunction; approvalTopic: sns.ITopic } {
  const stack = new Stack(new App(), 'SharedResources', { env: { account: ACCOUNT, region: REGION } });
  return {
    policyFunction: lambda.Function.fromFunctionArn(stack, 'PolicyFunction', POLICY_FUNCTION_ARN),
    approvalTopic: sns.Topic.fromTopicArn(stack, 'ApprovalTopic', APPROVAL_TOPIC_ARN),
  };
}

/** The unit most unit tests deploy: stacks `prod-network`, `prod-data` and `prod-app`, in this order. */
export const UNIT_ACTION: ActionSettings = {
  environmentName: 'prod',
  stacks: [
    { stackName: 'network', templatePath: 'network.template.json' },
    { stackName: 'data', templatePath: 'data.template.json' },
    { stackName: 'app', templatePath: 'app.template.json' },
  ],
};

/** The names of the unit's stacks, in the unit's order. */
export const UNIT_STACKS = ['prod-network', 'prod-data', 'prod-app'] as const;

/** The unit's templates in the source artifact. */
export const UNIT_FILES: Record<string, string> = {
  'network.template.json': smallTemplate('network'),
  'data.template.json': smallTemplate('data'),
  'app.template.json': smallTemplate('app'),
};

let cachedUnit: SynthesizedWorkflow | undefined;

/** Synthesizes the pipeline whose action deploys `UNIT_ACTION` (memoized). */
export function synthesizeUnit(): SynthesizedWorkflow {
  cachedUnit ??= synthesizeWorkflow(UNIT_ACTION);
  return cachedUnit;
}

/**
 * Synthesizes a CDK Pipelines pipeline stack built by `build` (a stack with a `pipelines.CodePipeline` whose stage
 * has a ChangeSetReviewStep): its workflow, and the review action's UserParameters (its one Lambda invoke action).
 */
export function synthesizeStack(build: () => Stack): SynthesizedWorkflow {
  const restore = stubMissingLambdaAssets();
  try {
    return fromTemplate(Template.fromStack(build()).toJSON());
  } finally {
    restore();
  }
}

/**
 * The handler bundles (assets/) are built by `projen bundle`; a bare `jest` run may not have them. The
 * execution tests do not need the bundles, so a missing asset directory is replaced by a stub one.
 */
function stubMissingLambdaAssets(): () => void {
  let stubDir: string | undefined;
  const original = lambda.Code.fromAsset.bind(lambda.Code);
  const spy = jest.spyOn(lambda.Code, 'fromAsset').mockImplementation((assetPath: string, options?: any) => {
    if (fs.existsSync(assetPath)) return original(assetPath, options);
    if (!stubDir) {
      stubDir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-test-asset-'));
      fs.writeFileSync(path.join(stubDir, 'index.js'), 'exports.handler = async () => { throw new Error("stub"); };');
    }
    return original(stubDir, options);
  });
  return () => {
    spy.mockRestore();
    if (stubDir) fs.rmSync(stubDir, { recursive: true, force: true });
  };
}

function fromTemplate(template: any): SynthesizedWorkflow {
  const resources: Resources = template.Resources;
  const ofType = (type: string) => Object.entries(resources as Record<string, any>).filter(([, r]) => r.Type === type);
  const definition = definitionFromTemplate(template, TEST_ENV);

  const functions = ofType('AWS::Lambda::Function');
  const trigger = functions.find(([, r]) => r.Properties.Environment?.Variables?.[ENV.stateMachineArn]);
  if (!trigger) throw new Error(`no function has ${ENV.stateMachineArn}`);
  const stateMachineArn = resolveIntrinsics(trigger[1].Properties.Environment.Variables[ENV.stateMachineArn], resources, TEST_ENV);
  const task = functions.find(([, r]) => r.Properties.Description?.includes('deploy workflow\'s tasks'));
  if (!task) throw new Error('no task function found');

  const url = task[1].Properties.Environment?.Variables?.[ENV.approvalUrl]?.['Fn::GetAtt'];
  if (!Array.isArray(url) || resources[url[0]]?.Type !== 'AWS::Lambda::Url' || url[1] !== 'FunctionUrl') {
    throw new Error(`the task function's ${ENV.approvalUrl} is not the FunctionUrl of a function URL`);
  }
  const approval = functions.find(([, r]) => r.Properties.Environment?.Variables?.[ENV.approvers] !== undefined);
  const approvers = approval ? approversOf(resolveIntrinsics(approval[1].Properties.Environment.Variables[ENV.approvers], resources, TEST_ENV)) : [];
  const [, pipeline] = ofType('AWS::CodePipeline::Pipeline')[0];
  const deployAction = pipeline.Properties.Stages.flatMap((s: any) => s.Actions).find((a: any) => a.ActionTypeId.Provider === 'Lambda');
  return {
    definition,
    taskFunctionArn: arnOf(task[0], resources, TEST_ENV),
    stateMachineArn,
    userParameters: resolveIntrinsics(deployAction.Configuration.UserParameters, resources, TEST_ENV),
    approvers,
    approvalUrl: APPROVAL_URL,
  };
}

// ---------------------------------------------------------------------------------------------------------
// 2. Running the workflow
// ---------------------------------------------------------------------------------------------------------

type AnyState = Record<string, any>;

/**
 * The in-process overrides of the Task states: each runs the real task handler. A Task state that does not
 * call the task function with `{ task, state: $ }` cannot be run in-process, so it fails the harness.
 */
export function taskOverrides(
  definition: StateMachineDefinition, taskFunctionArn: string, handler: (stateName: string, payload: TaskEvent) => Promise<unknown>,
  awaitEvent?: (parameters: any) => Promise<unknown>,
): Record<string, (input: any) => Promise<any>> {
  const overrides: Record<string, (input: any) => Promise<any>> = {};
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    if (state.Resource === AWAIT_EVENT_RESOURCE && awaitEvent) {
      // A wait on the stack's status events: the wait record goes to the fake table, the events come from the
      // world's event source and go through the real handler.
      overrides[name] = (parameters) => awaitEvent(parameters);
      continue;
    }
    if (state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      // The state that waits for a person: the task function with the task token, in Lambda's request shape.
      const payload = state.Parameters?.Payload ?? {};
      const problems = [
        state.Parameters?.FunctionName !== taskFunctionArn && 'it does not call the task function',
        payload.task !== 'requestApproval' && 'its payload\'s task is not requestApproval',
        (payload['state.$'] !== '$' || payload['token.$'] !== '$$.Task.Token' || Object.keys(payload).length !== 4)
          && 'its payload is not { task, state: $, token: $$.Task.Token, executionId }',
      ].filter(Boolean);
      if (problems.length > 0) throw new Error(`Task state "${name}" has no in-process override: ${problems.join('; ')}`);
      overrides[name] = (input) => handler(name, { ...input.Payload, token: input.Payload.token ?? `token-for-${name}` });
      continue;
    }
    const parameters = state.Parameters ?? {};
    const problems = [
      state.Resource !== taskFunctionArn && `its Resource is ${JSON.stringify(state.Resource)}, not the task function`,
      !TASKS.includes(parameters.task) && `its payload's task ${JSON.stringify(parameters.task)} is not a task of runTask`,
      (!STATE_PATHS.includes(parameters['state.$']) || parameters['executionId.$'] !== '$$.Execution.Id' || Object.keys(parameters).length !== 3)
        && `its payload is not { task, state: ${STATE_PATHS.join(' or ')}, executionId: $$.Execution.Id }`,
    ].filter(Boolean);
    if (problems.length > 0) {
      throw new Error(`Task state "${name}" has no in-process override: ${problems.join('; ')}`);
    }
    overrides[name] = (payload) => handler(name, payload);
  }
  const tasks = allStates(definition).filter(([, s]) => s.Type === 'Task').map(([n]) => n);
  const missing = tasks.filter((n) => !overrides[n]);
  if (missing.length > 0 || tasks.length === 0) throw new Error(`Task states without override: ${missing.join(', ') || '(no Task states)'}`);
  return overrides;
}

/** The resource of a wait on a stack's status events: DynamoDB PutItem with the task token. */
const AWAIT_EVENT_RESOURCE = 'arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken';

/** Where a Task state's payload takes the state from: the whole state, or the stack of a unit being deployed. */
const STATE_PATHS = ['$', '$.unit.current'];

/** What an execution did, read from its event log. */
export interface WorkflowRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** The execution's ARN. */
  readonly executionArn: string;
  /** Step Functions' history of the execution, as the task function reads it. */
  readonly history: FakeExecutionHistory;
  /** Every call of the task function, in order: the state, and the payload it sent. */
  readonly calls: { readonly state: string; readonly payload: TaskEvent }[];
  /** The states entered, in order. */
  readonly path: string[];
  /** The number of times a state was entered. */
  visits(state: string): number;
  /** The output of each visit of a state that completed. */
  outputsOf(state: string): any[];
  /** The number of retries of a state. */
  retriesOf(state: string): number;
}

export interface RunOptions {
  readonly synthesized?: SynthesizedWorkflow;
  /**
   * The person asked to approve (UnsafeChangeAction.requireApproval): after the real requestApproval task ran,
   * returns what SendTaskSuccess carried, or throws an error named ApprovalRejected (SendTaskFailure) or
   * States.Timeout (no decision in time). A person decides through the approval function: `decideThroughApprovalFunction`.
   * @default - no approver: the test fails if one is asked
   */
  readonly approver?: (event: TaskEvent, synthesized: SynthesizedWorkflow) => Promise<unknown>;
  /** Most task invocations before the harness aborts a runaway loop. @default 500 */
  readonly maxTaskInvocations?: number;
  /** The execution's name. @default - the name the trigger gives the deployment's job */
  readonly executionName?: string;
  /**
   * Runs while Step Functions calls the task function for a Task state (the call is in the history), before the
   * function runs: what someone else could do at that moment, with the payload the state sends.
   */
  readonly duringCall?: (state: string, payload: TaskEvent, deps: TaskDeps) => Promise<void>;
  /** Where the execution's history is written. @default - a history of its own */
  readonly history?: FakeExecutionHistory;
  /** The stack status events, for a workflow that waits on them. @default - none: such a workflow fails the harness */
  readonly stackEvents?: FakeStackEvents;
}

/** Numbers the local executions, for their ids and task tokens. */
let localExecutions = 0;

/** Step Functions' payload limit for a state's input and output. */
const STATE_PAYLOAD_LIMIT = 256 * 1024;

export async function runWorkflow(input: WorkflowInput, deps: TaskDeps, options: RunOptions = {}): Promise<WorkflowRun> {
  const synthesized = options.synthesized ?? synthesizeWorkflow();
  const { definition } = synthesized;

  const executionArn = `${synthesized.stateMachineArn.replace(':stateMachine:', ':execution:')}:` +
    `${options.executionName ?? executionNameFor(input.deployment?.jobId ?? `local-${localExecutions + 1}`)}`;
  // Step Functions' history of this execution, as the task function reads it: written as the states run.
  const history = options.history ?? new FakeExecutionHistory(synthesized.stateMachineArn);
  const log = history.log(executionArn, input);
  const calls: { state: string; payload: TaskEvent }[] = [];
  const taskDeps: TaskDeps = { ...deps, sfn: deps.sfn ?? history.client, approvalUrl: deps.approvalUrl ?? synthesized.approvalUrl };
  const statePaths = Object.fromEntries(allStates(definition).map(([name, state]) => [name, state.Parameters?.['state.$'] ?? '$']));
  const overrides = taskOverrides(definition, synthesized.taskFunctionArn, async (stateName, event) => {
    // The local engine's log reaches the history through promises: it holds this state's entry once they settled.
    await new Promise((resolve) => setImmediate(resolve));
    const call = log.call(stateName, event, (entered) => readPath(entered, statePaths[stateName]));
    calls.push({ state: stateName, payload: JSON.parse(JSON.stringify(event)) });
    await options.duringCall?.(stateName, JSON.parse(JSON.stringify(event)), taskDeps);
    let result: unknown;
    try {
      result = await runTask(event, taskDeps);
    } catch (e) {
      log.returned(call, e as Error);
      throw asLambdaError(e);
    }
    log.returned(call);
    if (event.task === 'requestApproval') {
      // The Lambda's own result is not the state's result: the execution waits for the person's answer.
      if (!options.approver) throw new Error('a person was asked to approve, but this test has no approver');
      try {
        const answer = await options.approver(event, synthesized);
        log.answered(call);
        return answer;
      } catch (e) {
        log.answered(call, e as Error);
        throw e;
      }
    }
    return result;
  }, options.stackEvents ? (parameters) => options.stackEvents!.await(parameters) : undefined);

  const run = await startLocalExecution(forLocalEngine(definition), input, {
    task: (stateName, payload) => overrides[stateName](payload),
    onEvent: (event) => log.record(event),
    maxTaskInvocations: options.maxTaskInvocations ?? 500,
    checkArn: true,
    // The context object's fields that Step Functions sets and the local engine does not: the execution's id
    // and, for the state that waits for a person, the task token.
    context: {
      Execution: { Id: executionArn, Name: executionArn.split(':').pop() },
      Task: { Token: `fake-task-token-${++localExecutions}-${'x'.repeat(16)}` },
    },
  });
  const { events } = run;
  checkEvents(events, definition);

  const entered = events.flatMap((e) => (e.type === 'StateEntered' ? [e.state.name] : []));
  const ofState = (type: LocalEvent['type'], state: string) => events.filter((e) => e.type === type && 'state' in e && e.state.name === state);
  return {
    status: run.status,
    ...(run.status === 'FAILED' ? { error: run.error, cause: run.cause } : { output: run.output }),
    executionArn,
    history,
    calls,
    path: entered,
    visits: (state) => entered.filter((n) => n === state).length,
    outputsOf: (state) => ofState('StateExited', state).map((e) => (e.type === 'StateExited' ? e.state.output : undefined)),
    retriesOf: (state) => ofState('StateRetried', state).length,
  };
}

/**
 * A person's decision as it reaches the execution: `caller` (as AWS authenticates them) calls the real approval function
 * with the synthesized approvers, on Step Functions that shows the execution waiting at its approval state with the
 * requestApproval payload as its task's parameters. The decision carries the "Approve digest" of `message`, the
 * approval message the person read (as published); without one, the message the task would publish for this payload.
 * Returns what the function sent with SendTaskSuccess, or throws the SendTaskFailure's error; a refusal (nothing sent)
 * fails the test.
 */
export async function decideThroughApprovalFunction(
  event: TaskEvent, synthesized: SynthesizedWorkflow, caller: string, decision: 'approve' | 'reject', comment?: string, message?: string,
): Promise<unknown> {
  const sfn = new FakeTaskWaits(synthesized.stateMachineArn);
  const executionArn = sfn.add(event.executionId!.split(':').pop()!, {
    state: event.state.unit ? S.waitForUnitApproval : S.waitForApproval,
    token: event.token!,
    parameters: { FunctionName: synthesized.taskFunctionArn, Payload: event },
  });
  if (executionArn !== event.executionId) throw new Error(`the approval's execution ${event.executionId} is not one of ${synthesized.stateMachineArn}`);
  const read = message ?? (event.state.unit
    ? unitApprovalMessage(event.state.deployment, event.state.unit, event.executionId)
    : approvalMessage(event.state.deployment, event.state.inspection, event.executionId));
  const digest = /^Approve digest: ([0-9a-f]{12})$/m.exec(read)?.[1];
  if (!digest) throw new Error(`the approval message shows no approve digest:\n${read}`);
  const response = await runApproval({
    body: JSON.stringify({ executionArn, decision, digest, ...(comment ? { comment } : {}) }),
    requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: caller, accountId: ACCOUNT } } },
  }, { sfn: sfn.client, approvers: synthesized.approvers });
  if (response.statusCode !== 200 || sfn.answers.length !== 1) throw new Error(`the approval function sent nothing for ${caller}: ${response.body}`);
  const [answer] = sfn.answers;
  if (answer.error !== undefined) {
    const error = new Error(answer.cause ?? '');
    error.name = answer.error;
    throw error;
  }
  return answer.output;
}

/**
 * The definition as aws-local-stepfunctions runs it the way Step Functions does, where the two differ:
 * - Step Functions resolves a Task state's TimeoutSecondsPath against the state's input (AWS's own example reads
 *   a field its Parameters leave out); the local engine resolves it against the Parameters' output. Every Task
 *   state here passes the whole input as the payload's `state` (taskOverrides checks it), so the local copy reads
 *   the same value from there.
 * - A Choice rule `IsPresent: false` matches an absent path in Step Functions; the local engine never matches it
 *   (it evaluates `IsPresent && value !== undefined`). The definition says `Not: { IsPresent: true }` instead, and
 *   any `Is*: false` rule fails the harness rather than run differently.
 * - States.ALL does not catch States.DataLimitExceeded in Step Functions; it does in the local engine (see below).
 */
function forLocalEngine(definition: StateMachineDefinition): StateMachineDefinition {
  const copy = JSON.parse(JSON.stringify(definition));
  for (const [name, state] of allStates(copy)) {
    if (state.Catch) state.Catch = withDataLimitUncaught(state.Catch);
    if (state.Catch?.some((c: AnyState) => c.Next === UNCAUGHT_DATA_LIMIT)) {
      copy.States[UNCAUGHT_DATA_LIMIT] = { Type: 'Fail', Error: DATA_LIMIT, Cause: 'States.ALL does not catch States.DataLimitExceeded' };
    }
    if (state.Type === 'Choice') state.Choices = state.Choices.map((rule: AnyState) => localChoiceRule(rule, name));
    if (state.Type !== 'Task' || state.TimeoutSecondsPath === undefined) continue;
    const base = state.Parameters?.['state.$'] === '$' ? '$.state'
      : state.Parameters?.Payload?.['state.$'] === '$' ? '$.Payload.state' : undefined;
    if (!base || !String(state.TimeoutSecondsPath).startsWith('$')) {
      throw new Error(`Task state "${name}": its TimeoutSecondsPath cannot be run locally (the payload does not carry the state input)`);
    }
    state.TimeoutSecondsPath = base + String(state.TimeoutSecondsPath).slice(1);
  }
  return copy;
}

const DATA_LIMIT = 'States.DataLimitExceeded';
const UNCAUGHT_DATA_LIMIT = 'Uncaught States.DataLimitExceeded (local model)';

/**
 * In Step Functions, States.ALL does not catch States.DataLimitExceeded: it ends the execution unless a catcher
 * names it. The local engine's States.ALL catches everything, so ahead of a States.ALL catcher (and after any
 * catcher that names the error) the local copy sends it to a Fail state, as Step Functions would end the execution.
 */
function withDataLimitUncaught(catchers: AnyState[]): AnyState[] {
  const result: AnyState[] = [];
  let named = false;
  for (const catcher of catchers) {
    if (catcher.ErrorEquals.includes(DATA_LIMIT)) named = true;
    if (!named && catcher.ErrorEquals.includes('States.ALL')) {
      result.push({ ErrorEquals: [DATA_LIMIT], Next: UNCAUGHT_DATA_LIMIT });
      named = true;
    }
    result.push(catcher);
  }
  return result;
}

function localChoiceRule(rule: AnyState, stateName: string): AnyState {
  if (rule.And) return { ...rule, And: rule.And.map((r: AnyState) => localChoiceRule(r, stateName)) };
  if (rule.Or) return { ...rule, Or: rule.Or.map((r: AnyState) => localChoiceRule(r, stateName)) };
  if (rule.Not) return { ...rule, Not: localChoiceRule(rule.Not, stateName) };
  // The local engine never matches `Is*: false` (IsPresent: false would match an absent path in Step Functions);
  // the definition writes Not(IsPresent: true) instead, and this keeps it that way.
  const falseTest = Object.keys(rule).find((k) => /^Is[A-Z]/.test(k) && rule[k] === false);
  if (falseTest) throw new Error(`Choice state "${stateName}": ${falseTest}: false is not modelled by the local engine`);
  return rule;
}

/** What Step Functions would refuse but the overrides hide: Wait SecondsPath values and payload sizes. */
function checkEvents(events: LocalEvent[], definition: StateMachineDefinition): void {
  const problems: string[] = [];
  const states = Object.fromEntries(allStates(definition));
  for (const event of events) {
    if (!('state' in event)) continue;
    if (event.type === 'StateEntered') {
      const state = states[event.state.name];
      if (state?.Type === 'Wait' && state.SecondsPath) {
        const seconds = readPath(event.state.input, state.SecondsPath);
        if (!Number.isInteger(seconds) || seconds < 0) {
          problems.push(`Wait state "${event.state.name}": ${state.SecondsPath} is ${JSON.stringify(seconds)}, not a whole number >= 0`);
        }
      }
    }
    const { input, output } = event.state as { input?: unknown; output?: unknown };
    for (const [what, value] of [['input', input], ['output', output]] as const) {
      if (value === undefined) continue;
      const size = Buffer.byteLength(JSON.stringify(value));
      if (size > STATE_PAYLOAD_LIMIT) problems.push(`state "${event.state.name}" ${what} is ${size} bytes, over Step Functions' 256 KB`);
    }
  }
  if (problems.length > 0) throw new Error(`the execution would fail in Step Functions: ${[...new Set(problems)].join('; ')}`);
}

function readPath(value: any, jsonPath: string): any {
  return jsonPath.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce((v, key) => v?.[key], value);
}

/**
 * A task failure as Step Functions sees it from Lambda: Error is the error's name, Cause the JSON the
 * Node.js runtime returns (`{"errorType","errorMessage","trace"}`).
 */
function asLambdaError(e: unknown): Error {
  const error = e instanceof Error ? e : new Error(String(e));
  const lambdaError = new Error(JSON.stringify({
    errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n'),
  }));
  lambdaError.name = error.name;
  return lambdaError;
}

/**
 * The execution failed with `error` because the stack operation failed: the cause names how the stack ended
 * (`ending`: "<status>, not <expected status>") and the first resource that failed, never a cancelled one.
 */
export function expectStackOperationFailed(run: WorkflowRun, error: string, ending: string, firstFailure: string): void {
  expect(run.status).toBe('FAILED');
  expect(run.error).toBe(error);
  expect(run.cause).toContain(`Stack ${STACK_NAME} ended ${ending}`);
  expect(run.cause).toContain(`First failure: ${firstFailure}`);
  expect(run.cause).not.toMatch(/cancelled/);
}

/** The errorMessage of a Cause that came from Lambda, or the Cause itself. */
export function causeMessage(cause: string | undefined): string {
  try {
    return JSON.parse(cause ?? '').errorMessage ?? cause;
  } catch {
    return cause ?? '';
  }
}

// ---------------------------------------------------------------------------------------------------------
// The world: fakes, the artifact, the deployment
// ---------------------------------------------------------------------------------------------------------

export const ARTIFACT = { bucket: 'codepipeline-eu-west-1-artifacts', key: 'MyPipeline/Source/Ab12Cd3' };

/**
 * The person asked to approve; the test sets it. `message` is the approval message they read (the last one published
 * on the approval topic). @default - none: a test that asks a person fails
 */
export type Approver = (event: TaskEvent, synthesized: SynthesizedWorkflow, message?: string) => Promise<unknown>;

export interface World {
  readonly s3: FakeS3;
  readonly cfn: FakeCloudFormation;
  /** CloudWatch: the alarms rollback triggers name. */
  readonly cloudwatch: FakeCloudWatch;
  /** CloudFormation as the task deps see it: `cfn`, plus nested stacks' change sets and stack outputs. */
  readonly extras: CloudFormationExtras;
  /** CloudFormation's stack status events, for a workflow that waits on them. */
  readonly events: FakeStackEvents;
  /** CodePipeline: the jobs it issued, which the workflow's first task confirms. */
  readonly codepipeline: FakeCodePipeline;
  /** Lambda, for a policy function (`POLICY_FUNCTION_ARN`). */
  readonly lambda: FakeLambda;
  /** SNS, for the approvers' topic (`APPROVAL_TOPIC_ARN`). */
  readonly sns: FakeSns;
  readonly deps: TaskDeps;
  /** The action the world's runs deploy (`deploy()`, the pipeline's executions). */
  readonly synthesized: SynthesizedWorkflow;
  /** Every time a person was asked: the requestApproval event they got. */
  readonly asked: TaskEvent[];
  approver?: Approver;
}

export interface WorldOptions {
  /** The files of the source artifact. @default - the default action's template, `smallTemplate()` */
  readonly files?: Record<string, string>;
  /** The action the world's runs deploy. @default - the default action, `synthesizeWorkflow()` (synthesized when first read) */
  readonly synthesized?: SynthesizedWorkflow;
}

export function createWorld(options: WorldOptions = {}): World {
  const { files = { [TEMPLATE_PATH]: smallTemplate() } } = options;
  const fakeS3 = new FakeS3();
  const cloudwatch = new FakeCloudWatch();
  const cfn = new FakeCloudFormation({ s3: fakeS3, cloudwatch });
  const extras = new CloudFormationExtras(cfn);
  const pipelines = new FakeCodePipeline();
  const fakeLambda = new FakeLambda(POLICY_FUNCTION_ARN);
  const fakeSns = new FakeSns([APPROVAL_TOPIC_ARN]);
  fakeS3.put(ARTIFACT.bucket, ARTIFACT.key, zip(files));
  let synthesized = options.synthesized;
  return {
    s3: fakeS3,
    cfn,
    cloudwatch,
    extras,
    events: new FakeStackEvents(cfn),
    codepipeline: pipelines,
    lambda: fakeLambda,
    sns: fakeSns,
    deps: {
      cloudformation: extras.client,
      s3: fakeS3.client,
      cloudwatch: cloudwatch.client,
      codepipeline: pipelines.client,
      lambda: fakeLambda.client,
      sns: fakeSns.client,
      region: REGION,
    },
    get synthesized() {
      synthesized ??= synthesizeWorkflow();
      return synthesized;
    },
    asked: [],
  };
}

/**
 * A unit of two stacks, `prod-network` then `prod-app`, that waits on stack events, and a world where both exist,
 * each with a change set of `changes` whose execution CloudFormation shows in progress for `inProgressPolls` reads.
 */
export function twoStacksOnEvents(changes: Change[], inProgressPolls: number): { unit: SynthesizedWorkflow; world: World } {
  const unit = synthesizeWorkflow({
    environmentName: 'prod',
    stacks: [{ stackName: 'network', templatePath: 'network.json' }, { stackName: 'app', templatePath: 'app.json' }],
  }, { stackEvents: true });
  const world = createWorld({ files: { 'network.json': smallTemplate('network'), 'app.json': smallTemplate('app') } });
  for (const name of ['prod-network', 'prod-app']) {
    world.cfn.putStack(name, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(name, { changeSet: { changes }, execute: { inProgressPolls } });
  }
  return { unit, world };
}

/** A world where the unit's three stacks exist, each with a change set of `changes` unless `changesOf` names others. */
export function createUnitWorld(changes: Change[], changesOf: Partial<Record<typeof UNIT_STACKS[number], Change[]>> = {}): World {
  const world = createWorld({ files: UNIT_FILES });
  for (const name of UNIT_STACKS) {
    world.cfn.putStack(name, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(name, { changeSet: { changes: changesOf[name] ?? changes } });
  }
  return world;
}

/** The job id most tests deploy for. */
export const DEFAULT_JOB = 'a1b2c3d4-0000-4000-8000-000000000001';

/** The deployment the trigger would start for a job, from the synthesized action's UserParameters. */
export function deploymentFor(jobId = DEFAULT_JOB, synthesized = synthesizeWorkflow(), startedAt = Date.now()): Deployment {
  const config = validateConfig(parseUserParameters(synthesized.userParameters));
  return toDeployment(config, { id: jobId, artifact: ARTIFACT, startedAt });
}

/**
 * The configuration a job's UserParameters hold for this deployment: what toDeployment() turns back into it.
 * A test that deploys a deployment of its own (another start time, another timeout) has CodePipeline issue
 * the job that asks for exactly that.
 */
export function configFor(deployment: Deployment): ActionConfig {
  return {
    v: CONFIG_VERSION,
    stackName: deployment.stackName,
    templatePath: deployment.templatePath,
    ...(deployment.templateConfigurationPath ? { templateConfigurationPath: deployment.templateConfigurationPath } : {}),
    ...(Object.keys(deployment.parameterOverrides).length > 0 ? { parameterOverrides: deployment.parameterOverrides } : {}),
    ...(Object.keys(deployment.tags).length > 0 ? { tags: deployment.tags } : {}),
    ...(deployment.capabilities.length > 0 ? { capabilities: deployment.capabilities } : {}),
    ...(deployment.roleArn ? { roleArn: deployment.roleArn } : {}),
    ...(deployment.assumeRoleArn ? { assumeRoleArn: deployment.assumeRoleArn } : {}),
    policy: deployment.policy,
    onUnsafe: deployment.onUnsafe,
    pollIntervalSeconds: deployment.pollIntervalSeconds,
    timeoutMinutes: (deployment.deadline - deployment.startedAt) / 60_000,
    includeNestedStacks: deployment.includeNestedStacks ?? true,
    ...(deployment.recreateRolledBackStack ? { recreateRolledBackStack: true } : {}),
    ...(deployment.rollbackAlarms ? { rollbackAlarms: deployment.rollbackAlarms } : {}),
    ...(deployment.monitoringMinutes !== undefined ? { monitoringMinutes: deployment.monitoringMinutes } : {}),
    ...(deployment.blockingAlarms ? { blockingAlarms: deployment.blockingAlarms } : {}),
    ...(deployment.whenAlarmFiring ? { whenAlarmFiring: deployment.whenAlarmFiring } : {}),
  };
}

/** CodePipeline issues the job that asks for this deployment (once per job id). */
export function issueJobFor(world: World, deployment: Deployment, userParameters = JSON.stringify(configFor(deployment))): void {
  if (world.codepipeline.isIssued(deployment.jobId)) return;
  world.codepipeline.issue({ id: deployment.jobId, userParameters, artifact: deployment.artifact, startTime: deployment.startedAt });
}

/**
 * Runs the workflow of the world's action for one deployment, for the job CodePipeline issued for it (a unit's job
 * carries the synthesized configuration as it is; configFor() writes one stack's).
 */
export function deploy(world: World, deployment: Deployment = deploymentFor(undefined, world.synthesized)): Promise<WorkflowRun> {
  issueJobFor(world, deployment, deployment.unit ? world.synthesized.userParameters : undefined);
  return runWorkflow({ deployment }, world.deps, { synthesized: world.synthesized, approver: approverOf(world), stackEvents: world.events });
}

/** The world's approver, as runWorkflow() asks it: each time is recorded, and a world without one fails the test. */
function approverOf(world: World): Approver {
  return async (event, synthesized) => {
    world.asked.push(event);
    if (!world.approver) throw new Error('a person was asked to approve, but this test has no approver');
    return world.approver(event, synthesized, world.sns.published.at(-1)?.message);
  };
}

/**
 * Approves as the approvers' role session `session`, through the approval function, as `cdk-sfn-deploy approve` does:
 * the approval carries the session's ARN as AWS authenticated it.
 */
export function approveAs(session: string, comment?: string): Approver {
  return (event, synthesized, message) =>
    decideThroughApprovalFunction(event, synthesized, approverSession(session, accountOf(synthesized)), 'approve', comment, message);
}

/** Rejects as the approvers' role session `session`, through the approval function (`cdk-sfn-deploy reject`). */
export function rejectAs(session: string, comment?: string): Approver {
  return (event, synthesized, message) =>
    decideThroughApprovalFunction(event, synthesized, approverSession(session, accountOf(synthesized)), 'reject', comment, message);
}

/** The account of the workflow, where the approvers' role is. */
function accountOf(synthesized: SynthesizedWorkflow): string {
  return synthesized.stateMachineArn.split(':')[4];
}

/** An error with the name Step Functions gives it (SendTaskFailure's error, States.Timeout). */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export function smallTemplate(description = 'sample app'): string {
  return JSON.stringify({
    AWSTemplateFormatVersion: '2010-09-09',
    Description: description,
    Resources: { Queue: { Type: 'AWS::SQS::Queue' }, Topic: { Type: 'AWS::SNS::Topic' } },
  }, null, 2);
}

/** A template over CloudFormation's 51,200-byte limit for TemplateBody. */
export function largeTemplate(): string {
  const resources: Record<string, unknown> = {};
  for (let i = 0; i < 400; i++) {
    resources[`Topic${i}`] = { Type: 'AWS::SNS::Topic', Properties: { DisplayName: `topic number ${i} of the large sample template` } };
  }
  return JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Resources: resources }, null, 2);
}

// ---------------------------------------------------------------------------------------------------------
// 3. The pipeline: CodePipeline jobs through the real trigger
// ---------------------------------------------------------------------------------------------------------

export interface PipelineWorld extends World {
  readonly sfn: FakeStepFunctions;
  /** The local runs behind the Step Functions executions. */
  readonly runs: WorkflowRun[];
  /** What the trigger logged. */
  readonly log: string[];
}

/** A pipeline around the world's action: the real trigger, with executions run locally as `runWorkflow()` does. */
export function createPipelineWorld(options: WorldOptions = {}): PipelineWorld {
  const world = createWorld(options);
  const runs: WorkflowRun[] = [];
  const sfn = new FakeStepFunctions({
    stateMachineArn: world.synthesized.stateMachineArn,
    runner: async (input, name) => {
      const run = await runWorkflow(input, world.deps, { synthesized: world.synthesized, approver: approverOf(world), executionName: name });
      runs.push(run);
      return run;
    },
  });
  // One object, so a test's `world.approver = ...` reaches the runs.
  return Object.assign(world, { sfn, runs, log: [] as string[] });
}

/** A pipeline around this action whose existing stack gets a change set of many changes, read in pages. */
export function createManyChangesPipelineWorld(
  synthesized: SynthesizedWorkflow, count: number, changeOf: (i: number) => Change, pageSize: number,
): PipelineWorld {
  const world = createPipelineWorld({ synthesized });
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: Array.from({ length: count }, (_, i) => changeOf(i)), pageSize };
  return world;
}

/** CodePipeline issues the deploy action's job: the synthesized UserParameters, the artifact, the start time. */
export function issueJob(world: PipelineWorld, jobId: string, startTime = Date.now()): void {
  world.codepipeline.issue({ id: jobId, userParameters: world.synthesized.userParameters, artifact: ARTIFACT, startTime });
}

/** The id CodePipeline gives the `n`th continuation job of a job (a job id of its own, as CodePipeline's are). */
export function continuationJobId(jobId: string, n: number): string {
  return `${jobId.slice(0, 24)}${(parseInt(jobId.slice(24), 16) + n).toString(16).padStart(12, '0').slice(-12)}`;
}

/** A CodePipeline job event for the deploy action, as the Lambda invoke action sends it. */
export function jobEvent(world: PipelineWorld, jobId: string, continuationToken?: string): unknown {
  return lambdaJobEvent({
    id: jobId,
    functionName: TRIGGER_FUNCTION_NAME,
    userParameters: world.synthesized.userParameters,
    artifact: ARTIFACT,
    artifactCredentials: ARTIFACT_CREDENTIALS,
    ...(continuationToken ? { continuationToken } : {}),
  });
}

/** Invokes the real trigger once. */
export function invokeTrigger(world: PipelineWorld, event: unknown): Promise<TriggerOutcome> {
  return runTrigger(event, {
    codepipeline: world.codepipeline.client,
    sfn: world.sfn.client,
    s3: world.s3.client,
    stateMachineArn: world.synthesized.stateMachineArn,
    functionName: TRIGGER_FUNCTION_NAME,
    log: (m) => world.log.push(m),
  });
}

export interface PipelineActionRun {
  /** The trigger's outcome for each job: the first job, then the continuation jobs. */
  readonly outcomes: TriggerOutcome[];
  /** The job result that ended the action. */
  readonly final: JobAnswer;
}

/**
 * Runs the action as CodePipeline does: it issues the job and invokes the trigger; then, while the trigger
 * answers with a continuation token, it issues a new job carrying that token and invokes the trigger again.
 */
export async function runPipelineAction(world: PipelineWorld, jobId: string): Promise<PipelineActionRun> {
  if (!world.codepipeline.isIssued(jobId)) issueJob(world, jobId);
  const outcome = await invokeTrigger(world, jobEvent(world, jobId));
  return continueAction(world, jobId, [outcome]);
}

/**
 * Follows the job's continuation tokens to the end. The first continuation job comes before the execution
 * has run (it is RUNNING); before each later one, time passes and the execution runs to its end.
 */
export async function continueAction(world: PipelineWorld, jobId: string, outcomes: TriggerOutcome[] = []): Promise<PipelineActionRun> {
  let answer = firstAnswer(world, jobId);
  let previous = jobId;
  for (let i = 1; answer.kind === 'success' && answer.input.continuationToken; i++) {
    if (i > 10) throw new Error('the action never finished');
    if (i > 1) await world.sfn.runPending();
    const continuationJob = continuationJobId(jobId, i);
    world.codepipeline.continuation(previous, continuationJob);
    outcomes.push(await invokeTrigger(world, jobEvent(world, continuationJob, answer.input.continuationToken)));
    answer = firstAnswer(world, continuationJob);
    previous = continuationJob;
  }
  return { outcomes, final: answer };
}

/** The answer that CodePipeline took for a job (a job takes one answer; later ones are refused). */
function firstAnswer(world: PipelineWorld, jobId: string): JobAnswer {
  const answer = world.codepipeline.answers.find((a) => a.jobId === jobId);
  if (!answer) throw new Error(`job ${jobId} was never answered: CodePipeline would wait until the action times out`);
  return answer;
}
