/**
 * One stack, several deployments (issue item 4: duplicate invocations, stacks in other states): a stack left IN_PROGRESS by another deployment,
 * two pipeline executions against one stack, and the trigger invoked twice for one job at the same time.
 *
 * CloudFormation itself serialises the operations on a stack; the fake models the two rules the workflow
 * relies on (added here with interceptors, on top of test/fakes/cloudformation.ts):
 * - a change set cannot be executed while the stack is in an *_IN_PROGRESS state;
 * - executing a change set makes every other change set of the stack OBSOLETE (not executable).
 */
import {
  CloudFormationClient, CloudFormationServiceException, CreateChangeSetCommand, DescribeStacksCommand,
  ExecuteChangeSetCommand, InvalidChangeSetStatusException,
} from '@aws-sdk/client-cloudformation';
import { intercept } from './support';
import type { Intercepted } from './support';
import type { Deployment } from '../../src/shared/contract';
import type { TaskDeps } from '../../src/workflow/tasks';
import {
  S, STACK_NAME, continueAction, createPipelineWorld, createWorld, deploymentFor, invokeTrigger, issueJob, issueJobFor, jobEvent, runWorkflow,
} from '../executions/harness';
import type { World, WorkflowRun } from '../executions/harness';
import { resourceChange } from '../fakes';

const JOB_A = '11111111-aaaa-4aaa-8aaa-000000000001';
const JOB_B = '22222222-bbbb-4bbb-8bbb-000000000002';

interface Execution {
  readonly changeSetName: string;
  /** The stack's status when CloudFormation accepted the execution. */
  readonly stackStatusBefore: string;
  /** Index in the fake's call log. */
  readonly at: number;
}

interface SharedStack extends World {
  readonly cfnCalls: Intercepted<CloudFormationClient>;
  readonly deps: TaskDeps;
  readonly executions: Execution[];
}

/** An existing stack that two deployments update; CloudFormation's serialisation rules are enforced. */
function sharedStack(): SharedStack {
  const world = createWorld();
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')] };
  world.cfn.onExecuteChangeSet = { inProgressPolls: 3 };
  const cfnCalls = intercept(world.cfn.client);
  const executions: Execution[] = [];
  const changeSets: string[] = [];
  const obsolete = new Set<string>();
  cfnCalls.on(CreateChangeSetCommand, async (_input, next) => {
    const output = await next();
    // The workflow executes a change set by its id (ARN), never by name.
    changeSets.push(output.Id);
    return output;
  });
  cfnCalls.on(ExecuteChangeSetCommand, async (input, next) => {
    const status = world.cfn.stack(input.StackName)!.status;
    if (obsolete.has(input.ChangeSetName)) {
      throw new InvalidChangeSetStatusException({
        message: `ChangeSet [${input.ChangeSetName}] cannot be executed in its current execution status of [OBSOLETE]`,
        $metadata: { httpStatusCode: 400 },
      });
    }
    if (status.endsWith('_IN_PROGRESS')) {
      throw new CloudFormationServiceException({
        name: 'ValidationError', message: `Stack:${input.StackName} is in ${status} state and can not be updated.`, $fault: 'client', $metadata: { httpStatusCode: 400 },
      });
    }
    const output = await next();
    // arn:aws:cloudformation:<region>:<account>:changeSet/<name>/<id>
    executions.push({ changeSetName: String(input.ChangeSetName).split('/')[1], stackStatusBefore: status, at: world.cfn.calls.length - 1 });
    for (const other of changeSets) if (other !== input.ChangeSetName) obsolete.add(other);
    return output;
  });
  return { ...world, cfnCalls, executions, deps: { ...world.deps, cloudformation: cfnCalls.client } };
}

describe('a stack left IN_PROGRESS by another deployment', () => {
  test('GIVEN a stack that stays UPDATE_IN_PROGRESS past the action\'s timeout WHEN deployed THEN the workflow waits until its deadline, then fails with StackNotUpdatable naming the state; nothing is written', async () => {
    // GIVEN: another deployment holds the stack; each look at it costs two minutes of a ten-minute budget.
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_IN_PROGRESS', { upcoming: Array.from({ length: 100 }, () => 'UPDATE_IN_PROGRESS') });
    const start = Date.UTC(2024, 4, 1, 12);
    let clock = start;
    const cfnCalls = intercept(world.cfn.client).on(DescribeStacksCommand, async (_input, next) => {
      clock += 2 * 60_000;
      return next();
    });
    const deployment: Deployment = { ...deploymentFor(), startedAt: start, deadline: start + 10 * 60_000 };
    issueJobFor(world, deployment);

    // WHEN
    const run = await runWorkflow({ deployment }, { ...world.deps, cloudformation: cfnCalls.client, now: () => clock });

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StackNotUpdatable');
    expect(run.cause).toBe(`Stack ${STACK_NAME} stayed UPDATE_IN_PROGRESS (another deployment is running) until the action's timeout.`);
    // It looked at 0, 2, 4, 6, 8 and 10 minutes (the deadline itself still counts), and gave up at 12.
    expect(run.visits(S.waitForOtherDeployment)).toBe(6);
    expect(run.outputsOf(S.checkStack).map((o) => o.stack.next)).toEqual(['WAIT', 'WAIT', 'WAIT', 'WAIT', 'WAIT', 'WAIT', 'BLOCKED']);
    expect(world.cfn.writes()).toEqual([]);
  });
});

describe('two pipeline executions against one stack', () => {
  test('GIVEN a second deployment starts while the first one\'s update runs WHEN both run THEN the second waits for the other deployment, then updates; the executions never overlap', async () => {
    // GIVEN: each deployment has its own task function clients, over the same CloudFormation.
    const world = sharedStack();
    const a = deploymentFor(JOB_A);
    const b = deploymentFor(JOB_B);
    issueJobFor(world, a);
    issueJobFor(world, b);
    const clientOfA = intercept(world.cfnCalls.client);
    const clientOfB = intercept(world.cfnCalls.client);
    let secondLooked!: () => void;
    const secondHasLooked = new Promise<void>((resolve) => { secondLooked = resolve; });
    let second: Promise<WorkflowRun> | undefined;
    clientOfA.on(ExecuteChangeSetCommand, async (_input, next) => {
      const output = await next();
      // The second pipeline execution reaches the stack while the first one's update is in progress.
      second ??= runWorkflow({ deployment: b }, { ...world.deps, cloudformation: clientOfB.client });
      return output;
    });
    clientOfA.on(DescribeStacksCommand, async (_input, next) => {
      // The first deployment's update does not get ahead before the second one has looked at the stack.
      if (second) await secondHasLooked;
      return next();
    });
    clientOfB.on(DescribeStacksCommand, async (_input, next) => {
      const output = await next();
      secondLooked();
      return output;
    });

    // WHEN
    const first = await runWorkflow({ deployment: a }, { ...world.deps, cloudformation: clientOfA.client });
    const secondRun = await second!;

    // THEN both deployments succeed, one after the other
    expect(first.status).toBe('SUCCEEDED');
    expect(secondRun.status).toBe('SUCCEEDED');
    const checks = secondRun.outputsOf(S.checkStack).map((o) => o.stack);
    expect(checks[0]).toMatchObject({ next: 'WAIT', status: expect.stringMatching(/_IN_PROGRESS$/) });
    expect(checks[checks.length - 1].next).toBe('CHANGE_SET');
    expect(secondRun.visits(S.waitForOtherDeployment)).toBeGreaterThanOrEqual(1);

    // AND CloudFormation was asked to execute each change set once, each time on a settled stack
    expect(world.executions.map((e) => e.changeSetName)).toEqual([a.changeSetName, b.changeSetName]);
    for (const execution of world.executions) expect(execution.stackStatusBefore).not.toMatch(/_IN_PROGRESS$/);
    const firstSettled = world.cfn.calls.findIndex((c, i) => i > world.executions[0].at && c.op === 'DescribeStacks' && c.status === 'UPDATE_COMPLETE');
    const secondChangeSet = world.cfn.calls.findIndex((c) => c.op === 'CreateChangeSet' && c.input.ChangeSetName === b.changeSetName);
    expect(firstSettled).toBeGreaterThan(world.executions[0].at);
    expect(secondChangeSet).toBeGreaterThan(firstSettled);
    expect(world.cfn.callsOf('CreateChangeSet').filter((c) => c.error)).toEqual([]);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
  });

  test('GIVEN two deployments that both find the stack settled at the same moment WHEN both run THEN CloudFormation executes one change set; the other deployment fails clearly and deletes its change set', async () => {
    // GIVEN
    const world = sharedStack();
    const a = deploymentFor(JOB_A);
    const b = deploymentFor(JOB_B);
    issueJobFor(world, a);
    issueJobFor(world, b);

    // WHEN: both start at once; each passes Check Stack Existence, and has its change set, before either executes.
    let bothCreated!: () => void;
    const created = new Promise<void>((resolve) => { bothCreated = resolve; });
    let count = 0;
    const barrier = intercept(world.deps.cloudformation)
      .on(CreateChangeSetCommand, async (_input, next) => {
        const output = await next();
        if (++count === 2) bothCreated();
        return output;
      })
      .on(ExecuteChangeSetCommand, async (_input, next) => {
        await created;
        return next();
      });
    const deps = { ...world.deps, cloudformation: barrier.client };
    const runs = await Promise.all([runWorkflow({ deployment: a }, deps), runWorkflow({ deployment: b }, deps)]);

    // THEN one deployment updated the stack
    const winners = runs.filter((r) => r.status === 'SUCCEEDED');
    const losers = runs.filter((r) => r.status === 'FAILED');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(world.executions).toHaveLength(1);
    expect(world.executions[0].stackStatusBefore).toBe('UPDATE_COMPLETE');
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');

    // AND the other one was refused by CloudFormation, says why, and removed its own change set
    const [loser] = losers;
    const loserDeployment = runs[0] === loser ? a : b;
    expect(['InvalidChangeSetStatusException', 'ValidationError']).toContain(loser.error);
    expect(loser.cause).toMatch(/OBSOLETE|can not be updated/);
    expect(loser.path).not.toContain(S.getStackUpdateStatus);
    expect(world.cfn.changeSet(STACK_NAME, loserDeployment.changeSetName)).toBeUndefined();
  });
});

describe('the trigger invoked twice for one job at the same time', () => {
  test('GIVEN two invocations of the same job in flight together WHEN both start THEN one execution runs, the job takes one answer and the action ends with one deployment', async () => {
    // GIVEN
    const world = createPipelineWorld();
    const job = '33333333-cccc-4ccc-8ccc-000000000003';
    issueJob(world, job);

    // WHEN: Lambda delivers the job twice. Both build the same input from CodePipeline's answer.
    const outcomes = await Promise.all([
      invokeTrigger(world, jobEvent(world, job)),
      invokeTrigger(world, jobEvent(world, job)),
    ]);

    // THEN: the same name and input while it runs: Step Functions gives both the one execution.
    expect(outcomes.sort()).toEqual(['ALREADY_ANSWERED', 'STARTED']);
    expect(world.sfn.executions).toHaveLength(1);
    expect(world.sfn.startCalls.map((c) => c.error)).toEqual([undefined, undefined]);
    expect(world.codepipeline.answers.filter((a) => a.jobId === job)).toHaveLength(1);
    const action = await continueAction(world, job);
    expect(action.final.kind).toBe('success');
    expect(world.cfn.writes().map((c) => c.op)).toEqual(['CreateStack']);
  });
});
