/**
 * Waiting on CloudFormation's stack status events (DeployStateMachine `stackEvents`): the end of a stack operation
 * wakes the waiting execution, which then reads the stack; lost events end in the safety poll; repeated, early,
 * stale or foreign events never resume the wrong wait nor execute anything twice.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { resourceChange, statusEvent } from '../fakes';
import {
  DEFAULT_ACTION, S, STACK_NAME, createWorld, deploymentFor, issueJobFor, runWorkflow, synthesizeWorkflow, twoStacksOnEvents,
} from './harness';
import type { SynthesizedWorkflow, World } from './harness';
import { forUnitStack } from '../../src/shared/state-names';

const SAFE = [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False'), resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm')];

let withEvents: SynthesizedWorkflow;
beforeAll(() => {
  withEvents = synthesizeWorkflow(DEFAULT_ACTION, { stackEvents: true });
});

function updateWorld(): World {
  const world = createWorld();
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: SAFE };
  world.cfn.onExecuteChangeSet = { inProgressPolls: 3 };
  return world;
}

async function deploy(world: World, synthesized = withEvents) {
  const deployment = deploymentFor(undefined, synthesized);
  issueJobFor(world, deployment, synthesized.userParameters);
  const run = await runWorkflow({ deployment }, world.deps, { synthesized, stackEvents: world.events });
  return { run, deployment };
}

/** The DescribeStacks calls made after the change set was executed. */
function pollsAfterExecute(world: World): string[] {
  const executed = world.cfn.calls.findIndex((c) => c.op === 'ExecuteChangeSet');
  return world.cfn.calls.filter((c, i) => i > executed && c.op === 'DescribeStacks').map((c) => c.status ?? c.error ?? '');
}

describe('a stack update woken by its status events', () => {
  test('GIVEN the events are delivered WHEN the stack update ends THEN the execution reads the stack once and succeeds: one Wait of the poll interval before the wait registers, no polling in between', async () => {
    // GIVEN
    const world = updateWorld();

    // WHEN
    const { run, deployment } = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(deployment.stackEvents).toBe(true);
    expect(run.path).toContain(S.awaitStackUpdate);
    // Every wait for an operation starts with a Wait state (an end recorded meanwhile is read at once).
    expect(pathFrom(run, S.executeChangeSet)).toEqual([
      S.executeChangeSet, S.waitStackUpdate, S.onEventsForUpdate, S.awaitStackUpdate, S.getStackUpdateStatus, S.stackUpdated, S.deploymentSucceeded,
    ]);
    expect(run.visits(S.getStackUpdateStatus)).toBe(1);
    expect(pollsAfterExecute(world)).toEqual(['UPDATE_COMPLETE']);
    // In-progress statuses are ignored; the final one wakes the wait.
    expect(world.events.handled).toEqual(['IGNORED', 'IGNORED', 'IGNORED', 'IGNORED', 'IGNORED', 'RESUMED']);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
  });

  test('GIVEN every event is lost WHEN the stack update ends THEN the safety poll reads the stack and the execution succeeds', async () => {
    // GIVEN
    const world = updateWorld();
    world.events.delivery = 'lost';

    // WHEN
    const { run } = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(world.events.handled).toEqual([]);
    expect(run.path.slice(run.path.indexOf(S.awaitStackUpdate)))
      .toEqual([S.awaitStackUpdate, S.getStackUpdateStatus, S.stackUpdated, S.deploymentSucceeded]);
    expect(pollsAfterExecute(world)).toEqual(['UPDATE_COMPLETE']);
  });

  test('GIVEN every event is delivered twice WHEN the stack update ends THEN the second final event finds the wait over and nothing runs twice', async () => {
    // GIVEN
    const world = updateWorld();
    world.events.delivery = async (events, deliver) => {
      for (const event of events) {
        await deliver(event);
        await deliver(event);
      }
    };

    // WHEN
    const { run } = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(world.events.handled.slice(-2)).toEqual(['RESUMED', 'STALE']);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
    expect(run.visits(S.getStackUpdateStatus)).toBe(1);
  });

  test('GIVEN the events come out of order, the final one first WHEN delivered THEN the wait wakes on the final one and the in-progress ones after it change nothing', async () => {
    // GIVEN
    const world = updateWorld();
    world.events.delivery = async (events, deliver) => {
      for (const event of [...events].reverse()) await deliver(event);
    };

    // WHEN
    const { run } = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(world.events.handled[0]).toBe('RESUMED');
    expect(world.events.handled.slice(1).every((o) => o === 'IGNORED')).toBe(true);
    expect(pollsAfterExecute(world)).toEqual(['UPDATE_COMPLETE']);
  });

  test('GIVEN an operation that ended before its wait registered WHEN the wait registers THEN it reads the stack at once instead of waiting', async () => {
    // GIVEN: the record of this operation's end is there already (its final event came first).
    const world = updateWorld();
    world.cfn.onExecuteChangeSet = { inProgressPolls: 0 };
    const deployment = deploymentFor(undefined, withEvents);
    world.events.table.items.set(`${STACK_NAME}#${deployment.changeSetName}`, {
      pk: { S: `${STACK_NAME}#${deployment.changeSetName}` }, finalStatus: { S: 'UPDATE_COMPLETE' },
    });
    issueJobFor(world, deployment, withEvents.userParameters);

    // WHEN
    const run = await runWorkflow({ deployment }, world.deps, { synthesized: withEvents, stackEvents: world.events });

    // THEN: the PutItem's condition failed, and the stack was read right away, until it was done.
    expect(run.status).toBe('SUCCEEDED');
    expect(world.events.handled).toEqual([]);
    expect(run.path[run.path.indexOf(S.awaitStackUpdate) + 1]).toBe(S.getStackUpdateStatus);
  });

  test('GIVEN a stale event of an earlier operation and an event of another stack WHEN delivered while the update runs THEN neither wakes the wait: the safety poll does', async () => {
    // GIVEN: the update's own events are lost; a late one of an earlier operation and one of another stack arrive.
    const world = updateWorld();
    world.events.delivery = async (events, deliver) => {
      const stackId = events[0].detail['stack-id'];
      await deliver(statusEvent(stackId, 'UPDATE_COMPLETE', 'sfn-deploy-anearlierjob'));
      await deliver(statusEvent(stackId.replace(`stack/${STACK_NAME}/`, 'stack/prod-other/'), 'UPDATE_COMPLETE', events[0].detail['client-request-token']));
      await deliver(statusEvent(stackId, 'UPDATE_COMPLETE', 'Console-UpdateStack-1234'));
    };

    // WHEN
    const { run } = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(world.events.handled).toEqual(['RECORDED', 'RECORDED', 'IGNORED']);
    expect(world.events.tokens.outputs.size).toBe(0);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
  });

  test('GIVEN an update that rolls back WHEN its final event wakes the wait THEN the execution fails with the stack\'s own reason', async () => {
    // GIVEN
    const world = updateWorld();
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1, failure: { logicalId: 'Queue', resourceType: 'AWS::SQS::Queue', reason: 'Queue name already taken' } };

    // WHEN
    const { run } = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain('Queue (AWS::SQS::Queue) UPDATE_FAILED: Queue name already taken');
    expect(world.events.handled[world.events.handled.length - 1]).toBe('RESUMED');
  });
});

/** The states entered from the first visit of `from` to the end. */
function pathFrom(run: { path: string[] }, from: string): string[] {
  return run.path.slice(run.path.indexOf(from));
}

/** Whether the stack was read (`read`) a second time or more without a Wait state (`wait`) since the read before. */
function readsWithoutWait(path: string[], read: string, wait: string): number {
  let unwaited = 0;
  let waited = true;
  for (const state of path) {
    if (state === wait) waited = true;
    if (state !== read) continue;
    if (!waited) unwaited++;
    waited = false;
  }
  return unwaited;
}

describe('a forged or early final event', () => {
  test('GIVEN a forged final event of the running update (the stack-event function invoked directly) WHEN the function ' +
    'reads the stack THEN it finds it running and believes nothing: the event is not recorded, wakes nobody, and costs the ' +
    'execution no read', async () => {
    // GIVEN: while the wait is registered, someone invokes the stack-event function with an UPDATE_COMPLETE of this
    // very operation (its stack and client request token); the update goes on.
    const world = updateWorld();
    world.cfn.onExecuteChangeSet = { inProgressPolls: 8 };
    world.events.whileRunning.push(async ({ stackId, operationToken }, deliver) => {
      await deliver(statusEvent(stackId, 'UPDATE_COMPLETE', operationToken), 'invoked');
    });

    // WHEN
    const { run } = await deploy(world);

    // THEN: the function read the stack once and refused the event; the first wait was not woken (it ended at the
    // safety poll, the model's stand-in for an update that goes on), the next was woken by the update's own end.
    expect(run.status).toBe('SUCCEEDED');
    expect(world.events.handled[0]).toBe('REFUSED');
    expect(world.events.reads[0]).toBe('UPDATE_IN_PROGRESS');
    expect(world.events.tokens.outputs.get('wait-token-1')).toBeUndefined();
    expect(world.events.handled[world.events.handled.length - 1]).toBe('RESUMED');
    // Two reads of the stack by the execution: the safety poll's, and the one its own end woke.
    expect(pollsAfterExecute(world)).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE']);
    expect(readsWithoutWait(pathFrom(run, S.awaitStackUpdate), S.getStackUpdateStatus, S.waitStackUpdate)).toBe(0);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
  });

  test('GIVEN the final event of a creation comes before DescribeStacks shows the end WHEN the function reads the stack ' +
    'THEN it refuses it for now; Lambda delivers it again, the stack has ended, and the execution reads it once', async () => {
    // GIVEN: EventBridge delivers CREATE_COMPLETE while DescribeStacks still says CREATE_IN_PROGRESS.
    const world = createWorld();
    world.cfn.onCreateStack = { inProgressPolls: 1 };
    world.events.whileRunning.push(async ({ stackId, operationToken }, deliver) => {
      await deliver(statusEvent(stackId, 'CREATE_COMPLETE', operationToken), 'eventbridge');
    });

    // WHEN
    const { run } = await deploy(world);

    // THEN: refused, then believed on Lambda's retry; the execution read the stack once, when it was woken.
    expect(run.status).toBe('SUCCEEDED');
    expect(world.events.handled).toEqual(['REFUSED', 'RESUMED']);
    expect(world.events.reads).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(world.cfn.callsOf('DescribeStacks').filter((c) => c.input.StackName === STACK_NAME).slice(-1).map((c) => c.status))
      .toEqual(['CREATE_COMPLETE']);
    expect(pathFrom(run, S.createStack)).toEqual([
      S.createStack, S.waitStackCreation, S.onEventsForCreation, S.awaitStackCreation, S.getStackCreationStatus, S.stackCreated,
      S.deploymentSucceeded,
    ]);
  });

  test('GIVEN a forged UPDATE_COMPLETE while the update is failing WHEN it wakes the wait THEN the stack decides: the execution fails with the stack\'s own reason', async () => {
    // GIVEN
    const world = updateWorld();
    world.cfn.onExecuteChangeSet = { inProgressPolls: 2, failure: { logicalId: 'Queue', resourceType: 'AWS::SQS::Queue', reason: 'Queue name already taken' } };
    world.events.whileRunning.push(async ({ stackId, operationToken }, deliver) => {
      await deliver(statusEvent(stackId, 'UPDATE_COMPLETE', operationToken), 'invoked');
    });

    // WHEN
    const { run } = await deploy(world);

    // THEN: the function did not believe it; the stack's own end decided.
    expect(world.events.handled[0]).toBe('REFUSED');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain('Queue (AWS::SQS::Queue) UPDATE_FAILED: Queue name already taken');
    expect(run.path).not.toContain(S.deploymentSucceeded);
  });
});

describe('other stack operations on events', () => {
  test('GIVEN no stack WHEN it is created THEN the creation\'s final event wakes the wait', async () => {
    const world = createWorld();
    world.cfn.onCreateStack = { inProgressPolls: 2 };

    const { run } = await deploy(world);

    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toContain(S.awaitStackCreation);
    expect(pathFrom(run, S.createStack)).toEqual([
      S.createStack, S.waitStackCreation, S.onEventsForCreation, S.awaitStackCreation, S.getStackCreationStatus, S.stackCreated,
      S.deploymentSucceeded,
    ]);
    expect(world.events.handled[world.events.handled.length - 1]).toBe('RESUMED');
  });

  test('GIVEN an action with a role in another account WHEN synthesized THEN its deployments poll: another account\'s events do not reach the rule', () => {
    const crossAccount = synthesizeWorkflow({
      ...DEFAULT_ACTION,
      targetAccountRole: importedRole('arn:aws:iam::222222222222:role/deployer'),
      deploymentRole: importedRole('arn:aws:iam::222222222222:role/cfn-service'),
    }, { stackEvents: true });
    expect(JSON.parse(crossAccount.userParameters)).not.toHaveProperty('stackEvents');
    expect(deploymentFor(undefined, crossAccount)).toHaveProperty('stackEvents', false);
    expect(JSON.parse(withEvents.userParameters)).toHaveProperty('stackEvents', true);
  });
});

let roles = 0;
function importedRole(arn: string): iam.IRole {
  return iam.Role.fromRoleArn(new Stack(new App(), `Roles${++roles}`), 'Role', arn, { mutable: false });
}

describe('a unit of stacks on events', () => {
  test('GIVEN two stacks with safe changes WHEN the unit deploys on events THEN each update is woken by its own final event, in order', async () => {
    // GIVEN
    const { unit, world } = twoStacksOnEvents(SAFE, 2);

    // WHEN
    const { run } = await deploy(world, unit);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visits(forUnitStack(S.awaitStackUpdate))).toBe(2);
    // One Wait of the poll interval before each wait registers; no polling.
    expect(run.visits(forUnitStack(S.waitStackUpdate))).toBe(2);
    expect(run.visits(forUnitStack(S.getStackUpdateStatus))).toBe(2);
    expect(world.events.handled.filter((o) => o === 'RESUMED')).toHaveLength(2);
    expect(world.cfn.callsOf('ExecuteChangeSet').map((c) => c.input.StackName)).toEqual(['prod-network', 'prod-app']);
  });

  test('GIVEN a forged final event of the first stack\'s running update WHEN it wakes the unit\'s wait THEN every later read of that stack follows a Wait, and the second stack is woken by its own event', async () => {
    // GIVEN
    const { unit, world } = twoStacksOnEvents(SAFE, 4);
    world.events.whileRunning.push(async ({ stackId, operationToken }, deliver) => {
      await deliver(statusEvent(stackId, 'UPDATE_COMPLETE', operationToken), 'invoked');
    });

    // WHEN
    const { run } = await deploy(world, unit);

    // THEN: the forged event was not believed; each stack was woken by its own end.
    expect(run.status).toBe('SUCCEEDED');
    expect(world.events.handled[0]).toBe('REFUSED');
    const [execute, poll, wait] = [S.executeChangeSet, S.getStackUpdateStatus, S.waitStackUpdate].map(forUnitStack);
    expect(readsWithoutWait(pathFrom(run, execute), poll, wait)).toBe(0);
    expect(run.visits(wait)).toBe(run.visits(poll));
    // The first stack read twice (the safety poll's read, the one its end woke), the second once, on its event.
    expect(run.visits(poll)).toBe(2 + 1);
    expect(world.events.handled.filter((o) => o === 'RESUMED')).toHaveLength(2);
  });
});
