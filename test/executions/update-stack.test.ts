/**
 * The change set path for an existing stack: a safe change set is executed and the
 * execution waits for UPDATE_COMPLETE; an empty one is a successful no-op; a failed one or a failed update
 * fails with CloudFormation's reason; a stack that is busy is waited for; one that cannot be updated is not touched.
 */
import { NO_CHANGES_REASON, oldEvent, resourceChange } from '../fakes';
import {
  S, STACK_NAME, createPipelineWorld, createWorld, deploy, deploymentFor, expectStackOperationFailed, runPipelineAction, synthesizeWorkflow,
} from './harness';

const SAFE_CHANGES = [
  resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False'),
  resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm'),
];

describe('a safe change set', () => {
  test('GIVEN an update that stays UPDATE_IN_PROGRESS for several polls WHEN the safe change set is executed THEN the execution succeeds only after UPDATE_COMPLETE', async () => {
    // GIVEN
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { pendingPolls: 2, changes: SAFE_CHANGES };
    world.cfn.onExecuteChangeSet = { inProgressPolls: 3 };
    const deployment = deploymentFor();

    // WHEN
    const run = await deploy(world, deployment);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    const executes = world.cfn.callsOf('ExecuteChangeSet');
    expect(executes).toHaveLength(1);
    // By the id of the change set that was inspected, never by its name.
    const inspectedId = world.cfn.calls.find((c) => c.op === 'DescribeChangeSet' && c.status === 'CREATE_COMPLETE')!.input.ChangeSetName;
    expect(inspectedId).toMatch(new RegExp(`^arn:aws:cloudformation:[^:]+:[0-9]+:changeSet/${deployment.changeSetName}/`));
    expect(executes[0].input).toMatchObject({ StackName: STACK_NAME, ChangeSetName: inspectedId });
    // The change set was ready and inspected before it was executed.
    const executeAt = world.cfn.calls.indexOf(executes[0]);
    const completeAt = world.cfn.calls.findIndex((c) => c.op === 'DescribeChangeSet' && c.status === 'CREATE_COMPLETE');
    expect(completeAt).toBeGreaterThanOrEqual(0);
    expect(completeAt).toBeLessThan(executeAt);
    expect(run.visits(S.getChangeSetCreationStatus)).toBe(3);
    // It polled while the update ran and succeeded right after the poll that saw UPDATE_COMPLETE.
    expect(run.visits(S.getStackUpdateStatus)).toBeGreaterThan(1);
    expect(run.outputsOf(S.getStackUpdateStatus).map((o) => o.operation.status)).toEqual([
      'UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE',
    ]);
    expect(run.path.slice(-3)).toEqual([S.getStackUpdateStatus, S.stackUpdated, S.deploymentSucceeded]);
    expect(run.output.inspection).toMatchObject({ verdict: 'ALLOW', changeCount: 2, violationCount: 0 });
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(0);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
  });

  test('GIVEN an update that fails on a resource and rolls back WHEN executed THEN the execution fails with the failing resource\'s reason from DescribeStackEvents', async () => {
    // GIVEN: the stack's history holds a failure of an earlier deployment, which must not be reported.
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_ROLLBACK_COMPLETE', {
      events: [oldEvent(STACK_NAME, 'Queue', 'UPDATE_FAILED', 'an old failure of an earlier deployment')],
    });
    world.cfn.onCreateChangeSet = { changes: SAFE_CHANGES };
    const reason = 'Resource handler returned message: "DB parameter group default.mysql5.7 does not exist" (HandlerErrorCode: InvalidRequest)';
    world.cfn.onExecuteChangeSet = { inProgressPolls: 2, failure: { logicalId: 'Database', resourceType: 'AWS::RDS::DBInstance', reason } };

    // WHEN
    const run = await deploy(world);

    // THEN
    expectStackOperationFailed(
      run, 'StackUpdateFailed', 'UPDATE_ROLLBACK_COMPLETE, not UPDATE_COMPLETE', `Database (AWS::RDS::DBInstance) UPDATE_FAILED: ${reason}`);
    expect(run.cause).not.toContain('an old failure');
    expect(world.cfn.callsOf('DescribeStackEvents').length).toBeGreaterThan(0);
    // It failed only once the rollback had finished.
    expect(run.outputsOf(S.getStackUpdateStatus).map((o) => o.operation.status)).toEqual([
      'UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE',
    ]);
    expect(run.path.slice(-2)).toEqual([S.stackUpdated, S.stackUpdateFailed]);
    expect(run.path).not.toContain(S.deploymentSucceeded);
  });
});

describe('a change set without changes', () => {
  test('GIVEN DescribeStacks still shows the previous update\'s UPDATE_COMPLETE right after ExecuteChangeSet WHEN polled THEN that is not taken as this update\'s end; success comes with the update\'s own UPDATE_COMPLETE', async () => {
    // GIVEN: DescribeStacks is eventually consistent; its first two reads after the execution are the old ones.
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: SAFE_CHANGES };
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1, staleReads: 2 };

    // WHEN
    const run = await deploy(world);

    // THEN: the two stale reads said UPDATE_COMPLETE, and the workflow kept waiting.
    const polls = run.outputsOf(S.getStackUpdateStatus).map((o) => [o.operation.status, o.operation.outcome]);
    expect(polls).toEqual([
      ['UPDATE_COMPLETE', 'IN_PROGRESS'],
      ['UPDATE_COMPLETE', 'IN_PROGRESS'],
      ['UPDATE_IN_PROGRESS', 'IN_PROGRESS'],
      ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'IN_PROGRESS'],
      ['UPDATE_COMPLETE', 'SUCCEEDED'],
    ]);
    expect(run.status).toBe('SUCCEEDED');
  });

  test('GIVEN no changes WHEN deployed THEN the stack\'s outputs are still the action\'s output variables (downstream #{ns.Output} keeps working)', async () => {
    // GIVEN
    const world = createPipelineWorld({ synthesized: synthesizeWorkflow() });
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { failedReason: NO_CHANGES_REASON };
    world.extras.putOutputs(STACK_NAME, { ApiUrl: 'https://api.example.com' });

    // WHEN
    const action = await runPipelineAction(world, '0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5');

    // THEN
    expect(action.final.kind).toBe('success');
    expect(action.final.input.outputVariables).toMatchObject({ Outcome: 'NO_CHANGES', ApiUrl: 'https://api.example.com' });
  });

  test('GIVEN a change set that ends FAILED because it "didn\'t contain changes" WHEN deployed THEN it is deleted and the execution succeeds as No Changes To Deploy', async () => {
    // GIVEN
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { pendingPolls: 1, failedReason: NO_CHANGES_REASON };
    const deployment = deploymentFor();

    // WHEN
    const run = await deploy(world, deployment);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output.changeSet).toMatchObject({ outcome: 'NO_CHANGES', status: 'FAILED' });
    const deletes = world.cfn.callsOf('DeleteChangeSet');
    expect(deletes).toHaveLength(1);
    expect(deletes[0].input).toMatchObject({ StackName: STACK_NAME, ChangeSetName: deployment.changeSetName });
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(run.path.slice(-3)).toEqual([S.changeSetCreated, S.deleteEmptyChangeSet, S.noChanges]);
  });
});

describe('a change set that fails for another reason', () => {
  test('GIVEN a change set that ends FAILED with a template error WHEN deployed THEN it is deleted and the execution fails with CloudFormation\'s reason', async () => {
    // GIVEN
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    const reason = 'Template format error: Unresolved resource dependencies [MissingBucket] in the Resources block of the template';
    world.cfn.onCreateChangeSet = { failedReason: reason };
    const deployment = deploymentFor();

    // WHEN
    const run = await deploy(world, deployment);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ChangeSetFailed');
    expect(run.cause).toContain(reason);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(run.path.slice(-2)).toEqual([S.deleteFailedChangeSet, S.changeSetFailed]);
  });
});

describe('a stack that another deployment is updating', () => {
  test('GIVEN a stack UPDATE_IN_PROGRESS for a few polls WHEN deployed THEN the workflow waits, and creates its change set only once the stack settled', async () => {
    // GIVEN
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_IN_PROGRESS', {
      upcoming: ['UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE'],
    });
    world.cfn.onCreateChangeSet = { changes: SAFE_CHANGES };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visits(S.waitForOtherDeployment)).toBe(3);
    expect(run.outputsOf(S.checkStack).map((o) => o.stack.next)).toEqual(['WAIT', 'WAIT', 'WAIT', 'CHANGE_SET']);
    const changeSets = world.cfn.callsOf('CreateChangeSet');
    expect(changeSets).toHaveLength(1);
    expect(changeSets[0].error).toBeUndefined();
    const settledAt = world.cfn.calls.findIndex((c) => c.op === 'DescribeStacks' && c.status === 'UPDATE_COMPLETE');
    expect(world.cfn.calls.indexOf(changeSets[0])).toBeGreaterThan(settledAt);
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
  });
});

describe('a stack that cannot be updated', () => {
  test('GIVEN a stack in ROLLBACK_COMPLETE WHEN deployed THEN the execution fails with StackNotUpdatable and guidance, and nothing is written', async () => {
    // GIVEN
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'ROLLBACK_COMPLETE');

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StackNotUpdatable');
    expect(run.cause).toContain(`Stack ${STACK_NAME} is ROLLBACK_COMPLETE`);
    expect(run.cause).toMatch(/delete the stack \(aws cloudformation delete-stack\) and run the pipeline again/);
    expect(run.path.slice(-2)).toEqual([S.doesStackExist, S.stackNotUpdatable]);
    expect(world.cfn.writes()).toEqual([]);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('ROLLBACK_COMPLETE');
  });
});
