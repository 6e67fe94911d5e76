/**
 * Drift-aware change sets (`revertDrift`): the action writes the option into its configuration, the
 * configuration accepts it only as a boolean and only from the action (not from an input file), and the
 * change set of an existing stack is created with DeploymentMode REVERT_DRIFT.
 */
import { CreateChangeSetCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import { deployment } from './fixtures';
import { TaskWorld } from './task-support';
import { toDeployment, validateConfig } from '../../src/shared/config';
import { singleAction, userParametersOf } from '../constructs/helpers';

const STACK = 'prod-sample-app';
const CONFIG = { stackName: 'sample-app', environmentName: 'prod', templatePath: 'app.yaml' };

test('GIVEN revertDrift WHEN the action is synthesized THEN its configuration says so; without it, nothing is written', () => {
  const drifting = singleAction({ revertDrift: true });
  expect(userParametersOf(drifting.template(), 'Deploy').config).toMatchObject({ revertDrift: true });
  const plain = singleAction();
  expect(userParametersOf(plain.template(), 'Deploy').config).not.toHaveProperty('revertDrift');
});

test('revertDrift in the configuration must be true or false, and an input file cannot set it', () => {
  expect(() => validateConfig({ ...CONFIG, revertDrift: 'yes' })).toThrow('"revertDrift" must be true or false');
  expect(() => validateConfig(CONFIG, { revertDrift: true })).toThrow(/revertDrift/);
  const job = { id: 'job1', artifact: { bucket: 'b', key: 'k' }, startedAt: 0 };
  expect(toDeployment(validateConfig({ ...CONFIG, revertDrift: true }), job)).toMatchObject({ revertDrift: true });
  expect(toDeployment(validateConfig(CONFIG), job)).not.toHaveProperty('revertDrift');
});

describe('createChangeSet with revertDrift', () => {
  test('GIVEN an existing stack THEN the change set is drift-aware (DeploymentMode REVERT_DRIFT)', async () => {
    const world = new TaskWorld().artifact();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    await world.run('createChangeSet', {
      deployment: deployment({ revertDrift: true }),
      stack: { exists: true, status: 'UPDATE_COMPLETE', next: 'CHANGE_SET', waitSeconds: 5 },
    });
    expect(world.cloudformation.mock).toHaveReceivedCommandWith(CreateChangeSetCommand, { ChangeSetType: 'UPDATE', DeploymentMode: 'REVERT_DRIFT' });
  });

  test('GIVEN a stack under review (a CREATE change set) THEN there is no actual state to compare with: no DeploymentMode', async () => {
    const world = new TaskWorld().artifact();
    world.cloudformation.putStack(STACK, 'REVIEW_IN_PROGRESS');
    await world.run('createChangeSet', {
      deployment: deployment({ revertDrift: true }),
      stack: { exists: true, status: 'REVIEW_IN_PROGRESS', next: 'CHANGE_SET', waitSeconds: 5 },
    });
    const input = world.cloudformation.mock.commandCalls(CreateChangeSetCommand)[0].args[0].input;
    expect(input.ChangeSetType).toBe('CREATE');
    expect(input).not.toHaveProperty('DeploymentMode');
  });

  test('GIVEN no revertDrift THEN the change set is an ordinary one', async () => {
    const world = new TaskWorld().artifact();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    await world.run('createChangeSet', { stack: { exists: true, status: 'UPDATE_COMPLETE', next: 'CHANGE_SET', waitSeconds: 5 } });
    expect(world.cloudformation.mock.commandCalls(CreateChangeSetCommand)[0].args[0].input).not.toHaveProperty('DeploymentMode');
  });
});
