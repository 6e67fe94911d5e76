/**
 * Only the running execution acts: every task that writes or publishes anything runs only for its execution's own
 * call. Real executions of the synthesized state machine (single stacks, a unit whose review runs its stacks at once,
 * an approval) give the real payloads of every writing task; each is then handed to the task function as someone
 * allowed lambda:InvokeFunction could: while its execution calls it, with one field changed; after the execution
 * ended, unchanged; and with no execution at all. None of them makes a single call to CloudFormation, S3 or SNS,
 * and the error says why.
 */
import type { Change } from '@aws-sdk/client-cloudformation';
import { Duration } from 'aws-cdk-lib';
import { resourceChange } from '../fakes';
import {
  STACK_NAME, TEMPLATE_PATH, createUnitWorld, createWorld, deploymentFor, importedResources, issueJobFor, largeTemplate, namedError, runWorkflow,
  synthesizeUnit, synthesizeWith,
} from './harness';
import type { SynthesizedWorkflow, WorkflowRun, World } from './harness';
import { ChangeAction, RuleVerdict, SafetyPolicy, UnsafeChangeAction } from '../../src';
import { APPROVAL_REJECTED, TASKS, taskWrites } from '../../src/shared/contract';
import type { Deployment, TaskName } from '../../src/shared/contract';
import { runTask } from '../../src/workflow/tasks';
import type { TaskDeps, TaskEvent } from '../../src/workflow/tasks';
import { confirmCaller } from '../../src/workflow/tasks/caller';

const SAFE: Change[] = [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')];
const ROLE_CHANGE: Change[] = [resourceChange('Modify', 'DeployRole', 'AWS::IAM::Role', 'False')];
const REMOVES_TABLE: Change[] = [resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm'), resourceChange('Remove', 'Table', 'AWS::DynamoDB::Table')];

/** Every call the fakes recorded that could write: CloudFormation's, S3's and SNS's (any call at all, to be sure). */
function callCounts(world: World & { sns?: { published: unknown[] } }): number[] {
  return [world.cfn.calls.length, world.s3.calls.length, world.sns?.published.length ?? 0];
}

/** The payload with one field changed: the stack it is for (or, for an approval, its task token). */
function tampered(payload: TaskEvent, field: 'stackName' | 'token'): TaskEvent {
  const copy = JSON.parse(JSON.stringify(payload));
  if (field === 'token') copy.token = 'a-task-token-of-my-own';
  else copy.state.deployment.stackName = `${copy.state.deployment.stackName}-gdeadbeef`;
  return copy;
}

type DuringCall = (state: string, payload: TaskEvent, deps: TaskDeps) => Promise<void>;

interface Scenario {
  readonly name: string;
  readonly world: () => World;
  readonly run: (world: any, duringCall: DuringCall) => Promise<WorkflowRun>;
}

let approvalSynthesized: SynthesizedWorkflow | undefined;
function approvalWorkflow(): SynthesizedWorkflow {
  approvalSynthesized ??= synthesizeWith({
    safetyPolicy: SafetyPolicy.fromRules([
      { verdict: RuleVerdict.REQUIRE_APPROVAL, resourceTypes: ['AWS::IAM::*'] },
      { verdict: RuleVerdict.ALLOW, actions: [ChangeAction.ADD, ChangeAction.MODIFY] },
    ]),
    onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: importedResources().approvalTopic, timeout: Duration.hours(1) }),
  });
  return approvalSynthesized;
}

function deployWith(world: World, deployment: Deployment, duringCall: DuringCall, synthesized?: SynthesizedWorkflow): Promise<WorkflowRun> {
  issueJobFor(world, deployment, deployment.unit ? synthesized!.userParameters : undefined);
  return runWorkflow({ deployment }, world.deps, { ...(synthesized ? { synthesized } : {}), duringCall });
}

/** The unit's three stacks exist: the app stack's change set has `appChanges`, the others' safe ones. */
function unitWorld(appChanges: Change[]): World {
  return createUnitWorld(SAFE, { 'prod-app': appChanges });
}

function stackWorld(status: string | undefined, changes?: Change[], files?: Record<string, string>): World {
  const world = createWorld({ files });
  if (status) world.cfn.putStack(STACK_NAME, status as any);
  if (changes) world.cfn.onCreateChangeSet = { changes };
  return world;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'a new stack from a template staged in S3',
    world: () => stackWorld(undefined, undefined, { [TEMPLATE_PATH]: largeTemplate() }),
    run: (world, duringCall) => deployWith(world, deploymentFor(), duringCall),
  },
  {
    name: 'an update with safe changes',
    world: () => stackWorld('UPDATE_COMPLETE', SAFE),
    run: (world, duringCall) => deployWith(world, deploymentFor(), duringCall),
  },
  {
    name: 'a stack whose creation rolled back, deleted and created again',
    world: () => stackWorld('ROLLBACK_COMPLETE'),
    run: (world, duringCall) => deployWith(world, { ...deploymentFor(), recreateRolledBackStack: true }, duringCall),
  },
  {
    name: 'an IAM change the approver rejects',
    world: () => {
      const world = createWorld({ synthesized: approvalWorkflow() });
      world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
      world.cfn.onCreateChangeSet = { changes: ROLE_CHANGE };
      return world;
    },
    run: (world, duringCall) => {
      const deployment = deploymentFor(undefined, approvalWorkflow());
      issueJobFor(world, deployment);
      return runWorkflow({ deployment }, world.deps, {
        synthesized: approvalWorkflow(),
        duringCall,
        approver: async () => {
          throw namedError(APPROVAL_REJECTED, 'not now');
        },
      });
    },
  },
  {
    name: 'a unit refused for its last stack',
    world: () => unitWorld(REMOVES_TABLE),
    run: (world, duringCall) => deployWith(world, deploymentFor(undefined, synthesizeUnit()), duringCall, synthesizeUnit()),
  },
  {
    name: 'a safe unit, deployed stack by stack',
    world: () => unitWorld(SAFE),
    run: (world, duringCall) => deployWith(world, deploymentFor(undefined, synthesizeUnit()), duringCall, synthesizeUnit()),
  },
];

interface Captured {
  readonly scenario: string;
  readonly state: string;
  readonly payload: TaskEvent;
  readonly run: WorkflowRun;
  readonly world: World;
}

const captured: Captured[] = [];
/** How each scenario's execution ended. */
const runs: string[] = [];
/** What went wrong while the executions ran (an assertion that throws in a task would only fail the execution). */
const problems: string[] = [];
/** The writing tasks whose call was tried with a changed field while their execution called them. */
const triedWhileRunning = new Set<TaskName>();

beforeAll(async () => {
  for (const scenario of SCENARIOS) {
    const world = scenario.world();
    const run = await scenario.run(world, async (state, payload, deps) => {
      if (!taskWrites(payload.task)) return;
      try {
        // The execution's own call is confirmed (the guard does not refuse everything)...
        await confirmCaller(payload, deps);
        // ...and the same call with one field changed, at that very moment, is refused before any call.
        const fields: ('stackName' | 'token')[] = payload.task === 'requestApproval' ? ['stackName', 'token'] : ['stackName'];
        for (const field of fields) {
          const before = callCounts(world);
          const error = await runTask(tampered(payload, field), deps).then(() => undefined, (e) => e as Error);
          if (error?.name !== 'UnconfirmedDeployment' || !/is not calling it now from/.test(error.message)) {
            problems.push(`${scenario.name}: ${state} with another ${field}: ${error ? `${error.name}: ${error.message}` : 'it ran'}`);
          }
          if (JSON.stringify(callCounts(world)) !== JSON.stringify(before)) problems.push(`${scenario.name}: ${state} with another ${field} made calls`);
        }
        triedWhileRunning.add(payload.task);
      } catch (e) {
        problems.push(`${scenario.name}: ${state}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    });
    runs.push(`${scenario.name}: ${run.status}${run.error ? ` ${run.error}` : ''}`);
    for (const call of run.calls) {
      if (taskWrites(call.payload.task)) captured.push({ scenario: scenario.name, state: call.state, payload: call.payload, run, world });
    }
  }
}, 240_000);

const WRITING_TASKS = TASKS.filter(taskWrites);

describe('the executions the payloads come from', () => {
  test('GIVEN the scenarios WHEN run THEN every writing task was called by an execution and tried while it ran, and the executions were not disturbed', () => {
    expect(problems).toEqual([]);
    expect(runs).toEqual([
      'a new stack from a template staged in S3: SUCCEEDED',
      'an update with safe changes: SUCCEEDED',
      'a stack whose creation rolled back, deleted and created again: SUCCEEDED',
      'an IAM change the approver rejects: FAILED ApprovalRejected',
      'a unit refused for its last stack: FAILED UnsafeChangeSet',
      'a safe unit, deployed stack by stack: SUCCEEDED',
    ]);
    expect([...new Set(captured.map((c) => c.payload.task))].sort()).toEqual([...WRITING_TASKS].sort());
    expect([...triedWhileRunning].sort()).toEqual([...WRITING_TASKS].sort());
  });
});

describe.each(WRITING_TASKS)('a real payload of %s', (task) => {
  const ofTask = () => captured.filter((c) => c.payload.task === task);

  test('GIVEN its execution ended WHEN the payload is handed to the task function unchanged THEN nothing is called and the error says the execution is not running', async () => {
    for (const { payload, run, world } of ofTask()) {
      const before = callCounts(world);
      const result = runTask(payload, { ...world.deps, sfn: run.history.client });
      await expect(result).rejects.toMatchObject({ name: 'UnconfirmedDeployment', message: expect.stringMatching(/is not running \(Execution(Succeeded|Failed)\)/) });
      expect(callCounts(world)).toEqual(before);
    }
    expect(ofTask().length).toBeGreaterThan(0);
  });

  test('GIVEN no execution at all WHEN the payload is handed to the task function without an execution, or naming one never started THEN nothing is called', async () => {
    const { payload, run, world } = ofTask()[0];
    const deps = { ...world.deps, sfn: run.history.client };
    const before = callCounts(world);
    const { executionId, ...withoutExecution } = payload;
    await expect(runTask(withoutExecution as TaskEvent, deps)).rejects.toMatchObject({
      name: 'UnconfirmedDeployment', message: expect.stringMatching(/names no execution/),
    });
    await expect(runTask({ ...payload, executionId: executionId!.replace(/:[^:]+$/, ':cp-never-started') }, deps)).rejects.toMatchObject({
      name: 'UnconfirmedDeployment', message: expect.stringMatching(/ExecutionDoesNotExist/),
    });
    await expect(runTask({ ...payload, executionId: executionId!.replace(/:execution:[^:]+:/, ':execution:OtherWorkflow:') }, deps)).rejects.toMatchObject({
      name: 'UnconfirmedDeployment', message: expect.stringMatching(/AccessDeniedException/),
    });
    expect(callCounts(world)).toEqual(before);
  });
});
