/**
 * Waiting on stack status events round after round: an operation still in progress when its wait ends (no event
 * came before the safety poll) is waited for again on its events, after a Wait of the poll interval, for a single
 * stack and for each stack of a unit; the execution never falls back to timed polling.
 */
import { resourceChange } from '../fakes';
import { DEFAULT_ACTION, S, STACK_NAME, createWorld, deploymentFor, issueJobFor, runWorkflow, synthesizeWorkflow, twoStacksOnEvents } from './harness';
import type { SynthesizedWorkflow, World } from './harness';
import { forUnitStack } from '../../src/shared/state-names';

const SAFE = [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')];

async function deploy(world: World, synthesized: SynthesizedWorkflow) {
  const deployment = deploymentFor(undefined, synthesized);
  issueJobFor(world, deployment, synthesized.userParameters);
  return runWorkflow({ deployment }, world.deps, { synthesized, stackEvents: world.events });
}

/** The states entered from the first visit of `from` on. */
function pathFrom(path: string[], from: string): string[] {
  return path.slice(path.indexOf(from));
}

/** No event comes during the next `n` waits (the operation goes on; each wait ends at the safety poll). */
function quietWaits(world: World, n: number): void {
  for (let i = 0; i < n; i++) world.events.whileRunning.push(async () => undefined);
}

test('GIVEN a stack update still running when its first two waits end at the safety poll WHEN the workflow reads it in progress THEN each next round waits on the events again, and the update\'s own end wakes the third', async () => {
  // GIVEN
  const synthesized = synthesizeWorkflow(DEFAULT_ACTION, { stackEvents: true });
  const world = createWorld();
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: SAFE };
  world.cfn.onExecuteChangeSet = { inProgressPolls: 3 };
  quietWaits(world, 2);

  // WHEN
  const run = await deploy(world, synthesized);

  // THEN
  expect(run.status).toBe('SUCCEEDED');
  const round = [S.waitStackUpdate, S.onEventsForUpdate, S.awaitStackUpdate, S.getStackUpdateStatus, S.stackUpdated];
  expect(pathFrom(run.path, S.executeChangeSet)).toEqual([S.executeChangeSet, ...round, ...round, ...round, S.deploymentSucceeded]);
  expect(run.visits(S.awaitStackUpdate)).toBe(3);
  expect(world.events.handled[world.events.handled.length - 1]).toBe('RESUMED');
});

test('GIVEN a stack creation still running when its first wait ends at the safety poll WHEN read in progress THEN the next round waits on the events again', async () => {
  const synthesized = synthesizeWorkflow(DEFAULT_ACTION, { stackEvents: true });
  const world = createWorld();
  world.cfn.onCreateStack = { inProgressPolls: 2 };
  quietWaits(world, 1);

  const run = await deploy(world, synthesized);

  expect(run.status).toBe('SUCCEEDED');
  const round = [S.waitStackCreation, S.onEventsForCreation, S.awaitStackCreation, S.getStackCreationStatus, S.stackCreated];
  expect(pathFrom(run.path, S.createStack)).toEqual([S.createStack, ...round, ...round, S.deploymentSucceeded]);
  expect(world.events.handled[world.events.handled.length - 1]).toBe('RESUMED');
});

test('GIVEN a unit whose first stack\'s update is still running when its first wait ends at the safety poll WHEN read in progress THEN the next round waits on the events again, and so does the second stack', async () => {
  // GIVEN
  const { unit, world } = twoStacksOnEvents(SAFE, 3);
  quietWaits(world, 1);

  // WHEN
  const run = await deploy(world, unit);

  // THEN: network took two rounds on events, app one; every round waited on events.
  expect(run.status).toBe('SUCCEEDED');
  const round = [S.waitStackUpdate, S.onEventsForUpdate, S.awaitStackUpdate, S.getStackUpdateStatus, S.stackUpdated].map(forUnitStack);
  const first = pathFrom(run.path, forUnitStack(S.executeChangeSet));
  expect(first.slice(0, 1 + 2 * round.length)).toEqual([forUnitStack(S.executeChangeSet), ...round, ...round]);
  expect(run.visits(forUnitStack(S.awaitStackUpdate))).toBe(3);
  expect(run.visits(forUnitStack(S.getStackUpdateStatus))).toBe(3);
  expect(world.events.handled.filter((o) => o === 'RESUMED')).toHaveLength(2);
  expect(world.cfn.callsOf('ExecuteChangeSet').map((c) => c.input.StackName)).toEqual(['prod-network', 'prod-app']);
});
