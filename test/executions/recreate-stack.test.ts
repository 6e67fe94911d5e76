/**
 * Recreating a rolled-back stack, opted in: a stack left in ROLLBACK_COMPLETE (its creation failed, nothing in it to keep) is deleted and
 * created again; without the option the deployment stops with guidance and touches nothing.
 */
import {
  DEFAULT_ACTION, STACK_NAME, createWorld, deploy, deploymentFor, synthesizeWorkflow,
} from './harness';
import { STATE_NAMES as S } from '../../src/shared/state-names';

const recreating = synthesizeWorkflow({ ...DEFAULT_ACTION, recreateRolledBackStack: true });

test('GIVEN a stack in ROLLBACK_COMPLETE and recreateRolledBackStack WHEN deployed THEN it is deleted, waited for, and created again', async () => {
  // GIVEN
  const world = createWorld();
  world.cfn.putStack(STACK_NAME, 'ROLLBACK_COMPLETE');

  // WHEN
  const run = await deploy(world, deploymentFor(undefined, recreating));

  // THEN
  expect(run.status).toBe('SUCCEEDED');
  expect(world.cfn.writes().map((c) => c.op)).toEqual(['DeleteStack', 'CreateStack']);
  expect(world.cfn.callsOf('DeleteStack')[0].input).toMatchObject({ StackName: STACK_NAME, RoleARN: expect.stringMatching(/^arn:aws:iam::/) });
  expect(run.path).toEqual(expect.arrayContaining([
    S.deleteRolledBackStack, S.waitStackDeletion, S.getStackDeletionStatus, S.stackDeleted, S.createStack,
  ]));
  // the deletion was seen through to its end before the creation started
  const order = run.path.filter((p) => [S.getStackDeletionStatus, S.createStack].includes(p as any));
  expect(order[order.length - 1]).toBe(S.createStack);
  expect(run.outputsOf(S.getStackDeletionStatus).map((o) => o.operation.outcome)).toEqual(['IN_PROGRESS', 'SUCCEEDED']);
  expect(world.cfn.stack(STACK_NAME)?.status).toBe('CREATE_COMPLETE');
});

test('GIVEN a stack in ROLLBACK_COMPLETE without the option WHEN deployed THEN it fails with guidance and nothing is written', async () => {
  const world = createWorld();
  world.cfn.putStack(STACK_NAME, 'ROLLBACK_COMPLETE');

  const run = await deploy(world, deploymentFor());

  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('StackNotUpdatable');
  expect(run.cause).toMatch(/delete the stack/);
  expect(world.cfn.writes()).toEqual([]);
});

test('GIVEN recreateRolledBackStack WHEN the stack is UPDATE_ROLLBACK_FAILED (it holds resources) THEN it is never deleted', async () => {
  const world = createWorld();
  world.cfn.putStack(STACK_NAME, 'UPDATE_ROLLBACK_FAILED');

  const run = await deploy(world, deploymentFor(undefined, recreating));

  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('StackNotUpdatable');
  expect(world.cfn.callsOf('DeleteStack')).toEqual([]);
});
