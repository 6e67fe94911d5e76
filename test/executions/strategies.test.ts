/**
 * What happens to a change set the policy refuses: UnsafeChangeAction.fail() (the default) deletes it and
 * fails; deployToNewStack() (blue/green) deletes it and deploys the template to a new stack,
 * `<stackName>-<suffix>`, through the create path, and reports the new stack to the pipeline; a refusal on the
 * new stack too fails, without a second switch.
 */
import { resourceChange } from '../fakes';
import {
  S, STACK_NAME, TEMPLATE_PATH, causeMessage, createManyChangesPipelineWorld, createPipelineWorld, createWorld, deploy, deploymentFor,
  runPipelineAction, smallTemplate, synthesizeWith,
} from './harness';
import type { SynthesizedWorkflow, World } from './harness';
import { UnsafeChangeAction } from '../../src';
import { LIMITS } from '../../src/shared/contract';
import { changeSetNameFor } from '../../src/shared/naming';

const JOB = '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9';
const NEW_STACK = `${STACK_NAME}-green`;
const REMOVE_DATABASE = resourceChange('Remove', 'Database', 'AWS::RDS::DBInstance');
const IN_PLACE = resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False');
/** What the fake CloudFormation gives a stack created by putStack(): the template the deployment must not replace. */
const OLD_TEMPLATE = '{"Resources":{}}';

let blueGreen: SynthesizedWorkflow;
let blueGreenDefaultSuffix: SynthesizedWorkflow;
let failFast: SynthesizedWorkflow;
beforeAll(() => {
  blueGreen = synthesizeWith({ onUnsafeChange: UnsafeChangeAction.deployToNewStack({ stackNameSuffix: 'green' }) });
  blueGreenDefaultSuffix = synthesizeWith({ onUnsafeChange: UnsafeChangeAction.deployToNewStack() });
  failFast = synthesizeWith({ onUnsafeChange: UnsafeChangeAction.fail() });
});

function worldWith(synthesized: SynthesizedWorkflow, changes = [IN_PLACE, REMOVE_DATABASE]): World {
  const world = createWorld({ synthesized });
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes };
  return world;
}

describe('UnsafeChangeAction.deployToNewStack (blue/green)', () => {
  test('GIVEN a change set that removes the database WHEN CodePipeline runs the action THEN it is deleted, never executed, the template goes to a new stack through CreateStack, and the action reports the new stack', async () => {
    // GIVEN
    const template = smallTemplate('the green stack');
    const world = createPipelineWorld({ synthesized: blueGreen, files: { [TEMPLATE_PATH]: template } });
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [IN_PLACE, REMOVE_DATABASE] };
    world.cfn.onCreateStack = { inProgressPolls: 2 };
    world.extras.putOutputs(STACK_NAME, { ApiUrl: 'https://blue.example.com' });
    world.extras.putOutputs(NEW_STACK, { ApiUrl: 'https://green.example.com' });
    const changeSetName = changeSetNameFor(JOB);

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN: the refused change set, on the old stack, deleted and never executed.
    expect(action.outcomes).toEqual(['STARTED', 'RUNNING', 'SUCCEEDED']);
    expect(world.cfn.callsOf('CreateChangeSet').map((c) => c.input.StackName)).toEqual([STACK_NAME]);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input)).toEqual([{ StackName: STACK_NAME, ChangeSetName: changeSetName }]);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.stack(STACK_NAME)).toMatchObject({ status: 'UPDATE_COMPLETE', template: OLD_TEMPLATE });

    // The new stack: created through the create path, with the same template, role and inputs.
    const creates = world.cfn.callsOf('CreateStack');
    expect(creates).toHaveLength(1);
    expect(creates[0].input).toMatchObject({
      StackName: NEW_STACK,
      TemplateBody: template,
      RoleARN: JSON.parse(blueGreen.userParameters).roleArn,
      ClientRequestToken: changeSetName,
    });
    expect(world.cfn.stack(NEW_STACK)).toMatchObject({ status: 'CREATE_COMPLETE', template });
    const [execution] = world.runs;
    expect(execution.visits(S.switchToNewStack)).toBe(1);
    const at = (state: string) => execution.path.indexOf(state);
    expect(at(S.deleteUnsafeChangeSet)).toBeLessThan(at(S.switchToNewStack));
    expect(at(S.switchToNewStack)).toBeLessThan(at(S.createStack));
    expect(execution.path.slice(-3)).toEqual([S.getStackCreationStatus, S.stackCreated, S.deploymentSucceeded]);
    expect(execution.output.deployment).toMatchObject({ stackName: NEW_STACK, previousStackName: STACK_NAME });

    // The pipeline: the new stack's name and outputs, the outcome, the verdict on the refused change set.
    expect(action.final.input.outputVariables).toEqual({
      ApiUrl: 'https://green.example.com',
      StackName: NEW_STACK,
      Outcome: 'DEPLOYED_TO_NEW_STACK',
      Verdict: 'DENY',
      ChangeSetName: changeSetName,
    });
    const { summary } = action.final.input.executionDetails;
    expect(summary).toContain(`The change set for stack ${STACK_NAME} was refused, so the template was deployed to a new stack, ${NEW_STACK} (blue/green).`);
    expect(summary).toContain('Refused by the policy: Database (Remove, no-deletion).');
    expect(summary).not.toContain('Queue');
  });

  test('GIVEN no suffix WHEN the change set is refused THEN the new stack is named after the pipeline job: <stackName>-g<first 8 characters of the job id>', async () => {
    // GIVEN
    const world = worldWith(blueGreenDefaultSuffix);
    const deployment = deploymentFor('0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', world.synthesized);

    // WHEN
    const result = await deploy(world, deployment);

    // THEN
    const expected = `${STACK_NAME}-g0a1b2c3d`;
    expect(result.status).toBe('SUCCEEDED');
    expect(world.cfn.callsOf('CreateStack').map((c) => c.input.StackName)).toEqual([expected]);
    expect(world.cfn.stack(expected)?.status).toBe('CREATE_COMPLETE');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });

  test('GIVEN the new stack exists and its change set is refused too WHEN deployed THEN the deployment fails UnsafeChangeSet without a second switch; both change sets are deleted, none executed', async () => {
    // GIVEN: an earlier blue/green deployment left the green stack.
    const world = worldWith(blueGreen);
    world.cfn.putStack(NEW_STACK, 'UPDATE_COMPLETE');
    const deployment = deploymentFor(undefined, world.synthesized);

    // WHEN
    const result = await deploy(world, deployment);

    // THEN
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain(`Change set ${deployment.changeSetName} for stack ${NEW_STACK} is refused (deleted, never executed): 1 of 2 changes is not allowed`);
    expect(result.cause).toContain('Database (AWS::RDS::DBInstance): Remove refused by no-deletion');
    expect(result.visits(S.switchToNewStack)).toBe(1);
    expect(result.visits(S.deleteUnsafeChangeSet)).toBe(2);
    expect(result.path.slice(-3)).toEqual([S.deleteUnsafeChangeSet, S.deployToNewStack, S.deploymentRejected]);
    expect(world.cfn.callsOf('CreateChangeSet').map((c) => c.input.StackName)).toEqual([STACK_NAME, NEW_STACK]);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.StackName)).toEqual([STACK_NAME, NEW_STACK]);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
    expect(world.cfn.stack(STACK_NAME)).toMatchObject({ status: 'UPDATE_COMPLETE', template: OLD_TEMPLATE });
    expect(world.cfn.stack(NEW_STACK)).toMatchObject({ status: 'UPDATE_COMPLETE', template: OLD_TEMPLATE });
  });

  test('GIVEN a safe change set WHEN deployed THEN it is executed on the stack itself: no switch, no new stack', async () => {
    // GIVEN
    const world = worldWith(blueGreen, [IN_PLACE]);

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.path).not.toContain(S.switchToNewStack);
    expect(world.cfn.callsOf('ExecuteChangeSet').map((c) => c.input.StackName)).toEqual([STACK_NAME]);
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
    expect(result.output.deployment.previousStackName).toBeUndefined();
  });

  test('GIVEN a stack name that leaves no room for the suffix WHEN the change set is refused THEN the deployment fails with ConfigurationError and creates nothing', async () => {
    // GIVEN: a full stack name of 125 characters; with "-green" it would be over CloudFormation's 128.
    const longName = `app${'x'.repeat(117)}`;
    const synthesized = synthesizeWith({ stackName: longName, onUnsafeChange: UnsafeChangeAction.deployToNewStack({ stackNameSuffix: 'green' }) });
    const world = createWorld({ synthesized });
    world.cfn.putStack(`prod-${longName}`, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [REMOVE_DATABASE] };

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ConfigurationError');
    expect(causeMessage(result.cause)).toBe(`the new stack name prod-${longName}-green is not a valid stack name (128 characters at most)`);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
  });

  test('GIVEN 300 removals WHEN the template goes to a new stack THEN the pipeline summary stays within 2,048 characters and still names the first offending resources', async () => {
    // GIVEN
    const world = createManyChangesPipelineWorld(
      blueGreen, 300, (i) => resourceChange('Remove', `OrderEventsTopicForTenant${i}OfTheEuropeanRegion`, 'AWS::SNS::Topic'), 100);

    // WHEN (the fake CodePipeline refuses a summary over 2,048 characters)
    const action = await runPipelineAction(world, JOB);

    // THEN
    expect(action.final.kind).toBe('success');
    const { summary } = action.final.input.executionDetails;
    expect(summary.length).toBeLessThanOrEqual(LIMITS.summary);
    expect(summary).toMatch(new RegExp(`^The change set for stack ${STACK_NAME} was refused`));
    expect(summary).toContain('OrderEventsTopicForTenant0OfTheEuropeanRegion (Remove, no-deletion); OrderEventsTopicForTenant1OfTheEuropeanRegion (Remove, no-deletion)');
    expect(summary).toContain('... (truncated)');
    expect(summary).toMatch(/ https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\/\S+$/);
    expect(action.final.input.outputVariables).toMatchObject({ StackName: NEW_STACK, Outcome: 'DEPLOYED_TO_NEW_STACK' });
  });
});

describe('UnsafeChangeAction.fail() (the default)', () => {
  test('GIVEN fail() WHEN CodePipeline runs the action on a change set that removes the database THEN it is deleted, never executed, no new stack is tried, and the job fails naming the resource', async () => {
    // GIVEN
    expect(JSON.parse(failFast.userParameters).onUnsafe).toEqual({ type: 'fail' });
    const world = createPipelineWorld({ synthesized: failFast });
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [IN_PLACE, REMOVE_DATABASE] };

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN
    const [execution] = world.runs;
    expect(execution.error).toBe('UnsafeChangeSet');
    expect(execution.path).not.toContain(S.switchToNewStack);
    expect(execution.path.slice(-3)).toEqual([S.deleteUnsafeChangeSet, S.deployToNewStack, S.deploymentRejected]);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
    expect(action.final.kind).toBe('failure');
    expect(action.final.input.failureDetails.message).toContain('(UnsafeChangeSet)');
    expect(action.final.input.failureDetails.message).toContain('Database (AWS::RDS::DBInstance): Remove refused by no-deletion');
  });
});
