/**
 * Handler unit tests of the change set tasks: createChangeSet, pollChangeSet, inspectChangeSet
 * (every change read, judged by the policy, the result kept small), executeChangeSet and deleteChangeSet.
 */
import {
  CreateChangeSetCommand, DeleteChangeSetCommand, DescribeChangeSetCommand, ExecuteChangeSetCommand, InvalidChangeSetStatusException,
} from '@aws-sdk/client-cloudformation';
import type { Change } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import { change, deployment, SMALL_TEMPLATE, T0 } from './fixtures';
import { alarmArn, awsError, FakeCloudWatch } from '../fakes';
import { EXECUTION_ARN, STACK_CHECK_TOKEN, TaskWorld } from './task-support';
import { LIMITS } from '../../src/shared/contract';
import type { ChangeSetResult, InspectionResult, OperationResult } from '../../src/shared/contract';

const STACK = 'prod-sample-app';
const CHANGE_SET = deployment().changeSetName;

describe('createChangeSet', () => {
  test('an existing stack gets an UPDATE change set named after the job, with an idempotency token', async () => {
    // GIVEN an existing stack and the template in the artifact
    const world = new TaskWorld().artifact();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');

    // WHEN the workflow creates the change set
    const result = await world.run<ChangeSetResult>('createChangeSet', {
      deployment: deployment({ parameterOverrides: { Stage: 'prod' }, capabilities: ['CAPABILITY_NAMED_IAM'] }),
      stack: { exists: true, status: 'UPDATE_COMPLETE', next: 'CHANGE_SET', waitSeconds: 5 },
    });

    // THEN CloudFormation got an UPDATE change set of the template
    expect(world.cloudformation.mock).toHaveReceivedCommandWith(CreateChangeSetCommand, {
      StackName: STACK,
      ChangeSetName: CHANGE_SET,
      ChangeSetType: 'UPDATE',
      TemplateBody: SMALL_TEMPLATE,
      // The token the stack check drew for this execution, also in the description: only this execution knows it.
      ClientToken: STACK_CHECK_TOKEN,
      Description: expect.stringMatching(new RegExp(`, request ${STACK_CHECK_TOKEN}$`)),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Parameters: [{ ParameterKey: 'Stage', ParameterValue: 'prod' }],
    });
    expect(world.cloudformation.changeSets.get(`${STACK}/${CHANGE_SET}`)!.type).toBe('UPDATE');
    expect(result).toMatchObject({ name: CHANGE_SET, type: 'UPDATE', status: 'CREATE_PENDING', outcome: 'PENDING' });
  });

  test('a REVIEW_IN_PROGRESS stack gets a CREATE change set (an UPDATE one would be refused)', async () => {
    // GIVEN a stack that only exists as a reviewed CREATE change set
    const world = new TaskWorld().artifact();
    world.cloudformation.putStack(STACK, 'REVIEW_IN_PROGRESS');

    // WHEN the workflow creates the change set
    const result = await world.run<ChangeSetResult>('createChangeSet', {
      stack: { exists: true, status: 'REVIEW_IN_PROGRESS', next: 'CHANGE_SET', waitSeconds: 5 },
    });

    // THEN it is a CREATE change set
    expect(world.cloudformation.mock).toHaveReceivedCommandWith(CreateChangeSetCommand, { ChangeSetType: 'CREATE' });
    expect(result.type).toBe('CREATE');
  });

  test('a retried task gets AlreadyExistsException for its own change set: tolerated, still one change set', async () => {
    // GIVEN the change set was created by a first attempt
    const world = new TaskWorld().artifact();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    const state = { stack: { exists: true, status: 'UPDATE_COMPLETE', next: 'CHANGE_SET' as const, waitSeconds: 5 } };
    await world.run('createChangeSet', state);

    // WHEN the task is retried
    const retried = await world.run<ChangeSetResult>('createChangeSet', state);

    // THEN it succeeds without creating another one
    expect(retried.outcome).toBe('PENDING');
    expect(world.cloudformation.mock).toHaveReceivedCommandTimes(CreateChangeSetCommand, 2);
    expect(world.cloudformation.changeSets.size).toBe(1);
  });

  test('GIVEN a change set someone else created under the deployment\'s name (without this execution\'s token) WHEN the ' +
    'workflow creates its own THEN it is not adopted: ChangeSetChanged, and nothing is judged', async () => {
    // GIVEN
    const world = new TaskWorld().artifact();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    const planted = world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Remove', 'CustomerTable', 'AWS::DynamoDB::Table')]);

    // WHEN
    const result = world.run('createChangeSet', { stack: { exists: true, status: 'UPDATE_COMPLETE', next: 'CHANGE_SET', waitSeconds: 5 } });

    // THEN
    await expect(result).rejects.toMatchObject({ name: 'ChangeSetChanged', message: expect.stringContaining('that this deployment did not create') });
    expect(planted.executed).toBe(false);
  });

  test('GIVEN a stack check WHEN a change set comes next THEN it draws a new token each time (a later check, a later change set)', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    const first = await world.run<{ changeSetToken?: string }>('checkStack');
    const second = await world.run<{ changeSetToken?: string }>('checkStack');
    expect(first.changeSetToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.changeSetToken).not.toBe(first.changeSetToken);
  });

  test('any other CreateChangeSet error fails the task', async () => {
    const world = new TaskWorld().artifact();
    world.cloudformation.mock.on(CreateChangeSetCommand).rejects(awsError('InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_IAM]'));
    await expect(world.run('createChangeSet')).rejects.toMatchObject({ name: 'InsufficientCapabilitiesException', message: expect.stringContaining('CAPABILITY_IAM') });
  });

  test('a template missing from the artifact fails before CloudFormation is called', async () => {
    const world = new TaskWorld().artifact({ 'other.json': '{}' });
    await expect(world.run('createChangeSet')).rejects.toMatchObject({ name: 'ConfigurationError' });
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(CreateChangeSetCommand);
  });
});

describe('pollChangeSet', () => {
  function pollState(type = 'UPDATE') {
    return { changeSet: { name: CHANGE_SET, type, status: 'CREATE_PENDING', outcome: 'PENDING' as const, waitSeconds: 5 } };
  }

  test.each(['CREATE_PENDING', 'CREATE_IN_PROGRESS'])('%s: PENDING', async (status) => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [], status);
    const result = await world.run<ChangeSetResult>('pollChangeSet', pollState());
    expect(result).toMatchObject({ status, outcome: 'PENDING' });
  });

  test('CREATE_COMPLETE: READY, keeping the change set type of the state', async () => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Add', 'Queue')]);
    const result = await world.run<ChangeSetResult>('pollChangeSet', pollState('CREATE'));
    expect(result).toMatchObject({ name: CHANGE_SET, type: 'CREATE', status: 'CREATE_COMPLETE', outcome: 'READY' });
    expect(world.cloudformation.mock).toHaveReceivedCommandWith(DescribeChangeSetCommand, { StackName: STACK, ChangeSetName: CHANGE_SET });
  });

  test.each([
    "The submitted information didn't contain changes. Submit different information to create a change set.",
    'No updates are to be performed.',
  ])('FAILED because it has no changes ("%s"): NO_CHANGES, a successful no-op', async (reason) => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [], 'FAILED', reason);
    const result = await world.run<ChangeSetResult>('pollChangeSet', pollState());
    expect(result).toMatchObject({ status: 'FAILED', outcome: 'NO_CHANGES', reason });
  });

  test.each([
    'Template error: instance of Fn::GetAtt references undefined resource Missing',
    'Parameters: [Stage] must have values',
  ])('FAILED for another reason ("%s"): FAILED with that reason', async (reason) => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [], 'FAILED', reason);
    const result = await world.run<ChangeSetResult>('pollChangeSet', pollState());
    expect(result.outcome).toBe('FAILED');
    expect(result.reason).toContain(reason);
    expect(result.reason).toContain(STACK);
  });

  test('GIVEN a change set FAILED with a reason that quotes a secret value THEN its reason says why with the secret masked', async () => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [], 'FAILED', 'Template format error: unresolved value ghp_jZS0lVskYjOFkgcScEvMH0lm5PdYnqOLmARw in Resources');
    const result = await world.run<ChangeSetResult>('pollChangeSet', pollState());
    expect(result.outcome).toBe('FAILED');
    expect(result.reason).toContain('Template format error: unresolved value (masked) in Resources');
    expect(result.reason).not.toContain('jZS0lVskYjOFkgcScEvMH0lm5PdYnqOLmARw');
  });

  test('still CREATE_IN_PROGRESS at the deadline: FAILED', async () => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [], 'CREATE_IN_PROGRESS');
    world.clock = deployment().deadline + 1;
    const result = await world.run<ChangeSetResult>('pollChangeSet', pollState());
    expect(result.outcome).toBe('FAILED');
    expect(result.reason).toContain('timeout');
  });

  test('a change set in an unexpected status (DELETE_COMPLETE): FAILED', async () => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [], 'DELETE_COMPLETE');
    const result = await world.run<ChangeSetResult>('pollChangeSet', pollState());
    expect(result).toMatchObject({ outcome: 'FAILED', reason: expect.stringContaining('DELETE_COMPLETE') });
  });
});

describe('inspectChangeSet', () => {
  test('every page is read (NextToken); a Remove on the last page makes the verdict DENY', async () => {
    // GIVEN 250 safe additions, then one removal, served 100 changes a page
    const world = new TaskWorld();
    const changes: Change[] = [...Array.from({ length: 250 }, (_, i) => change('Add', `Queue${i}`)), change('Remove', 'Database', 'AWS::RDS::DBInstance', { PolicyAction: 'Delete' })];
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, changes);
    world.cloudformation.changesPageSize = 100;

    // WHEN the workflow inspects the change set
    const result = await world.run<InspectionResult>('inspectChangeSet');

    // THEN it read the three pages, following the tokens
    const calls = world.cloudformation.mock.commandCalls(DescribeChangeSetCommand).map((c) => c.args[0].input.NextToken);
    expect(calls).toEqual([undefined, 'page-100', 'page-200']);
    // AND it saw every change, and the removal on the last page
    expect(result).toMatchObject({ verdict: 'DENY', changeCount: 251, violationCount: 1, counts: { Add: 250, Remove: 1 } });
    expect(result.violations).toEqual([{ logicalId: 'Database', resourceType: 'AWS::RDS::DBInstance', action: 'Remove', rule: 'no-deletion' }]);
    expect(result.reason).toContain('Database (AWS::RDS::DBInstance): Remove refused by');
  });

  test('a change set without changes is allowed (ALLOW)', async () => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, []);
    const result = await world.run<InspectionResult>('inspectChangeSet');
    expect(result).toEqual({
      verdict: 'ALLOW', changeCount: 0, violationCount: 0, violations: [], reason: '', counts: {}, nestedChangeSets: 0, ...(await world.judged()),
    });
  });

  test('a paginating API that repeats a NextToken is an error, not an endless loop', async () => {
    const world = new TaskWorld();
    const id = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/sfn-deploy-job1/1';
    world.cloudformation.mock.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', ChangeSetId: id, Changes: [change('Add', 'A')], NextToken: 'same' });
    await expect(world.run('inspectChangeSet', { changeSet: { name: CHANGE_SET, id, type: 'UPDATE', waitSeconds: 5 } })).rejects.toThrow('same NextToken twice');
    expect(world.cloudformation.mock.commandCalls(DescribeChangeSetCommand)).toHaveLength(2);
  });

  test('default policy: additions and in-place modifications are allowed (ALLOW)', async () => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [
      change('Add', 'NewTopic', 'AWS::SNS::Topic'),
      change('Modify', 'Function', 'AWS::Lambda::Function', { Replacement: 'False' }),
    ]);
    const result = await world.run<InspectionResult>('inspectChangeSet');
    expect(result).toMatchObject({ verdict: 'ALLOW', violationCount: 0, violations: [], reason: '', counts: { Add: 1, Modify: 1 } });
  });

  test.each([
    ['a removal', change('Remove', 'Bucket', 'AWS::S3::Bucket'), 'no-deletion'],
    ['a replacement', change('Modify', 'Table', 'AWS::DynamoDB::Table', { Replacement: 'True' }), 'no-replacement'],
    ['a conditional replacement', change('Modify', 'Table', 'AWS::DynamoDB::Table', { Replacement: 'Conditional' }), 'no-conditional-replacement'],
    ['a dynamic change', change('Dynamic', 'Nested', 'AWS::CloudFormation::Stack'), 'no-dynamic-change'],
    ['a change with an action the library does not know', change('Teleport', 'Thing'), 'unrecognised-value'],
  ])('default policy: %s makes it DENY, naming the resource and the rule', async (_what, unsafe, rule) => {
    // GIVEN a change set with one destructive change among safe ones
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Add', 'Queue'), unsafe]);

    // WHEN the workflow inspects it
    const result = await world.run<InspectionResult>('inspectChangeSet');

    // THEN it is unsafe, with the offending resource and the rule that refused it
    const rc = unsafe.ResourceChange!;
    expect(result.verdict).toBe('DENY');
    expect(result.violationCount).toBe(1);
    expect(result.violations[0]).toMatchObject({ logicalId: rc.LogicalResourceId, resourceType: rc.ResourceType, action: rc.Action });
    expect(result.violations[0].rule).toContain(rule);
    expect(result.reason).toContain(`${rc.LogicalResourceId} (${rc.ResourceType})`);
    expect(result.reason).toContain(rule);
    expect(result.reason).toContain('1 of 2 changes is not allowed');
  });

  test.each([
    [[change('Remove', 'Topic', 'AWS::SNS::Topic')], 'its one change is not allowed: Topic (AWS::SNS::Topic): Remove refused by no-deletion'],
    [[change('Remove', 'Topic', 'AWS::SNS::Topic'), change('Remove', 'Queue')], '2 of 2 changes are not allowed: Topic'],
  ])('the reason counts the refused changes in words that agree with their number (%#)', async (changes, words) => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, changes);
    const result = await world.run<InspectionResult>('inspectChangeSet');
    expect(result.reason).toContain(words);
  });

  test('a replacement reports its Replacement value in the violation and the reason', async () => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Modify', 'Table', 'AWS::DynamoDB::Table', { Replacement: 'True' })]);
    const result = await world.run<InspectionResult>('inspectChangeSet');
    expect(result.violations[0].replacement).toBe('True');
    expect(result.reason).toContain('Modify, replacement True refused by no-replacement');
  });

  test('the deployment policy is applied: allowAll makes a removal ALLOW', async () => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Remove', 'Bucket', 'AWS::S3::Bucket')]);
    const result = await world.run<InspectionResult>('inspectChangeSet', { deployment: deployment({ policy: { type: 'allowAll' } }) });
    expect(result).toMatchObject({ verdict: 'ALLOW', violationCount: 0 });
  });

  test('with UnsafeChangeAction.fail(): a change that needs approval is refused like a denied one', async () => {
    // GIVEN a rules policy that asks for approval of IAM changes
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Modify', 'Role', 'AWS::IAM::Role', { Replacement: 'False' })]);
    const policy = { type: 'rules' as const, rules: [{ verdict: 'REQUIRE_APPROVAL' as const, resourceTypes: ['AWS::IAM::*'], description: 'iam-needs-review' }], defaultVerdict: 'ALLOW' as const };

    // WHEN the workflow inspects it
    const result = await world.run<InspectionResult>('inspectChangeSet', { deployment: deployment({ policy }) });

    // THEN it is DENY and says approval was needed
    expect(result.verdict).toBe('DENY');
    expect(result.violations[0].rule).toBe('iam-needs-review (needs approval)');
  });

  test('2,000 removed resources keep the result small, with the full count and at most 50 violations', async () => {
    // GIVEN a change set that removes 2,000 resources with long names
    const world = new TaskWorld();
    const changes = Array.from({ length: 2000 }, (_, i) =>
      change('Remove', `VeryLongLogicalIdForAResourceThatIsBeingRemoved${String(i).padStart(5, '0')}`, 'AWS::SSM::Parameter'));
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, changes);

    // WHEN the workflow inspects it
    const result = await world.run<InspectionResult>('inspectChangeSet');

    // THEN every change was counted, the state keeps at most 50 violations, and the payload stays small
    expect(result.changeCount).toBe(2000);
    expect(result.violationCount).toBe(2000);
    expect(result.counts).toEqual({ Remove: 2000 });
    expect(result.violations).toHaveLength(LIMITS.violationsInState);
    expect(result.reason.length).toBeLessThanOrEqual(4000);
    expect(result.reason).toContain('2000 of 2000 changes are not allowed');
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(20_000);
    expect(world.cloudformation.mock.commandCalls(DescribeChangeSetCommand)).toHaveLength(20);
  });
});

describe('executeChangeSet and deleteChangeSet', () => {
  const safe: InspectionResult = {
    verdict: 'ALLOW', changeCount: 1, violationCount: 0, violations: [], reason: '', counts: { Add: 1 }, nestedChangeSets: 0, changeSetId: '', digest: '',
  };

  test.each([
    ['DENY', { ...safe, verdict: 'DENY' as const }],
    ['missing', undefined],
  ])('an inspection that is %s: the change set is never executed', async (_what, inspection) => {
    // GIVEN a change set whose inspection did not say ALLOW
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    const changeSet = world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Remove', 'Bucket')]);

    // WHEN executeChangeSet is reached anyway
    const result = world.run('executeChangeSet', { inspection });

    // THEN it refuses, and CloudFormation was never asked to execute
    await expect(result).rejects.toThrow('it was neither inspected as safe nor approved');
    expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
    expect(changeSet.executed).toBe(false);
  });

  test('ALLOW: the change set is executed with an idempotency token and the workflow waits for UPDATE_COMPLETE', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    const changeSet = world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Add', 'Queue')]);
    const result = await world.run<OperationResult>('executeChangeSet', {
      inspection: { ...safe, ...(await world.judged()) }, changeSet: { name: CHANGE_SET, id: changeSet.id, type: 'UPDATE', waitSeconds: 5 },
    });
    // By the id of the change set judged, never by its name.
    expect(world.cloudformation.mock).toHaveReceivedCommandWith(ExecuteChangeSetCommand, {
      StackName: STACK, ChangeSetName: changeSet.id, ClientRequestToken: CHANGE_SET,
    });
    expect(changeSet.executed).toBe(true);
    expect(result).toMatchObject({ expectedStatus: 'UPDATE_COMPLETE', status: 'UPDATE_IN_PROGRESS', outcome: 'IN_PROGRESS' });
  });

  describe('an alarm that fired after the stack check', () => {
    const BLOCKING = 'checkout-errors';

    async function judgedSafeWithAlarm(world: TaskWorld, cloudwatch: FakeCloudWatch) {
      cloudwatch.putAlarm(BLOCKING);
      cloudwatch.setState(BLOCKING, 'ALARM', 'checkout 5xx above 2%');
      world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
      const judged = world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Add', 'Queue')]);
      const inspection = { ...safe, ...(await world.judged()) };
      const state = {
        deployment: deployment({ blockingAlarms: [{ arn: alarmArn(BLOCKING) }] }),
        inspection,
        changeSet: { name: CHANGE_SET, id: judged.id, type: 'UPDATE', waitSeconds: 5 },
      };
      return { judged, state: state as any };
    }

    test('GIVEN a blocking alarm in ALARM now WHEN the change set judged safe would be executed THEN it is not: StackNotUpdatable, naming the alarm', async () => {
      // GIVEN
      const world = new TaskWorld();
      const cloudwatch = new FakeCloudWatch(() => world.clock);
      const { judged, state } = await judgedSafeWithAlarm(world, cloudwatch);

      // WHEN
      const result = world.runAs('executeChangeSet', state, EXECUTION_ARN, { cloudwatch: cloudwatch.client });

      // THEN
      await expect(result).rejects.toMatchObject({ name: 'StackNotUpdatable', message: expect.stringContaining(`alarm ${BLOCKING} is in ALARM (checkout 5xx above 2%)`) });
      expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
      expect(judged.executed).toBe(false);
    });

    test('GIVEN an earlier attempt of the task executed the change set (its answer lost) WHEN the alarm is in ALARM now THEN the attempt is repeated as it was, not refused as if nothing ran', async () => {
      // GIVEN
      const world = new TaskWorld();
      const cloudwatch = new FakeCloudWatch(() => world.clock);
      const { judged, state } = await judgedSafeWithAlarm(world, cloudwatch);
      judged.executionStatus = 'EXECUTE_IN_PROGRESS';

      // WHEN
      await world.runAs('executeChangeSet', state, EXECUTION_ARN, { cloudwatch: cloudwatch.client }).catch((e) => e);

      // THEN
      expect(world.cloudformation.mock).toHaveReceivedCommand(ExecuteChangeSetCommand);
    });
  });

  describe('what runs is what was judged', () => {
    /** A change set judged safe: the state the execute task gets, with the id and digest its inspection recorded. */
    async function judgedSafe(world: TaskWorld) {
      world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
      const judged = world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Add', 'Queue')]);
      const inspection = { ...safe, ...(await world.judged()) };
      return { judged, state: { inspection, changeSet: { name: CHANGE_SET, id: judged.id, type: 'UPDATE', waitSeconds: 5 } } };
    }

    test('GIVEN the judged change set was deleted and another created under its name (CloudFormation gives it a new id) ' +
      'WHEN it would be executed THEN nothing is executed: ChangeSetChanged', async () => {
      // GIVEN
      const world = new TaskWorld();
      const { state } = await judgedSafe(world);
      world.cloudformation.changeSets.clear();
      const substitute = world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Remove', 'CustomerTable', 'AWS::DynamoDB::Table')]);

      // WHEN
      const result = world.run('executeChangeSet', state);

      // THEN
      await expect(result).rejects.toMatchObject({ name: 'ChangeSetChanged', message: expect.stringContaining('is gone') });
      expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
      expect(substitute.executed).toBe(false);
    });

    test('GIVEN what the judged id describes now differs from what was judged (a nested change set, say) WHEN it would be executed ' +
      'THEN nothing is executed: ChangeSetChanged names both digests', async () => {
      const world = new TaskWorld();
      const { judged, state } = await judgedSafe(world);
      (judged.script.changes as Change[]).push(change('Remove', 'CustomerTable', 'AWS::DynamoDB::Table'));

      const result = world.run('executeChangeSet', state);

      await expect(result).rejects.toMatchObject({
        name: 'ChangeSetChanged', message: expect.stringContaining(`(digest ${state.inspection.digest.slice(0, 12)}, now `),
      });
      expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
      expect(judged.executed).toBe(false);
    });

    test('GIVEN an inspection without the id and digest of what it judged WHEN executing THEN nothing is executed', async () => {
      const world = new TaskWorld();
      const { judged, state } = await judgedSafe(world);

      const result = world.run('executeChangeSet', { ...state, inspection: { ...state.inspection, digest: '' } });

      await expect(result).rejects.toMatchObject({ name: 'ChangeSetChanged', message: expect.stringContaining('no record of what was judged') });
      expect(world.cloudformation.mock).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
      expect(judged.executed).toBe(false);
    });

    test('GIVEN a change set replaced under its name while it was being created WHEN polled by the id CreateChangeSet gave ' +
      'THEN the substitute is not followed: ChangeSetNotFoundException', async () => {
      const world = new TaskWorld();
      world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
      const first = world.cloudformation.putChangeSet(STACK, CHANGE_SET, [], 'CREATE_PENDING');
      world.cloudformation.changeSets.clear();
      world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Remove', 'CustomerTable', 'AWS::DynamoDB::Table')]);

      const result = world.run('pollChangeSet', { changeSet: { name: CHANGE_SET, id: first.id, type: 'UPDATE', waitSeconds: 5 } });

      await expect(result).rejects.toMatchObject({ name: 'ChangeSetNotFoundException' });
    });

    test('GIVEN a change set polled to CREATE_COMPLETE WHEN inspected THEN the inspection records its id and the digest of what it read', async () => {
      const world = new TaskWorld();
      world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
      const cs = world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Add', 'Queue')]);
      const polledResult = await world.run<{ id: string }>('pollChangeSet', { changeSet: { name: CHANGE_SET, type: 'UPDATE', waitSeconds: 5 } });
      expect(polledResult.id).toBe(cs.id);

      const inspection = await world.run<InspectionResult>('inspectChangeSet', { changeSet: { name: CHANGE_SET, id: cs.id, type: 'UPDATE', waitSeconds: 5 } });

      expect(inspection.changeSetId).toBe(cs.id);
      expect(inspection.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(inspection.digest).toBe((await world.judged()).digest);
      expect(world.cloudformation.mock).toHaveReceivedCommandWith(DescribeChangeSetCommand, { ChangeSetName: cs.id });
    });
  });

  test('an allowed CREATE change set: the workflow waits for CREATE_COMPLETE', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'REVIEW_IN_PROGRESS');
    const created = world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Add', 'Queue')]);
    created.type = 'CREATE';
    const result = await world.run<OperationResult>('executeChangeSet', {
      inspection: { ...safe, ...(await world.judged()) }, changeSet: { name: CHANGE_SET, id: created.id, type: 'CREATE', waitSeconds: 5 },
    });
    expect(result).toMatchObject({ expectedStatus: 'CREATE_COMPLETE', status: 'CREATE_IN_PROGRESS' });
    expect(world.cloudformation.stacks.get(STACK)!.status).toBe('CREATE_IN_PROGRESS');
  });

  test('deleteChangeSet deletes the change set of the deployment', async () => {
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, []);
    await expect(world.run('deleteChangeSet')).resolves.toEqual({ deleted: CHANGE_SET });
    expect(world.cloudformation.changeSets.size).toBe(0);
  });

  test('deleteChangeSet tolerates ChangeSetNotFoundException (already deleted, or a retried task)', async () => {
    // GIVEN the change set was deleted by a first attempt
    const world = new TaskWorld();
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, []);
    await world.run('deleteChangeSet');

    // WHEN the task runs again
    const result = world.run('deleteChangeSet');

    // THEN it succeeds
    await expect(result).resolves.toEqual({ deleted: CHANGE_SET });
    expect(world.cloudformation.mock).toHaveReceivedCommandTimes(DeleteChangeSetCommand, 2);
  });

  test('deleteChangeSet tolerates the ValidationError of a stack that does not exist', async () => {
    const world = new TaskWorld();
    world.cloudformation.mock.on(DeleteChangeSetCommand).rejects(awsError('ValidationError', `Stack [${STACK}] does not exist`));
    await expect(world.run('deleteChangeSet')).resolves.toEqual({ deleted: CHANGE_SET });
  });

  test('deleteChangeSet propagates other errors (AccessDenied)', async () => {
    const world = new TaskWorld();
    world.cloudformation.mock.on(DeleteChangeSetCommand).rejects(awsError('AccessDenied', 'not authorized to perform: cloudformation:DeleteChangeSet', 403));
    await expect(world.run('deleteChangeSet')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  test("executeChangeSet's poll interval follows the time since the deployment started (90 min: 60 s)", async () => {
    const world = new TaskWorld();
    world.clock = T0 + 90 * 60_000;
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [change('Add', 'Queue')]);
    const late = deployment({ deadline: T0 + 120 * 60_000 });
    const result = await world.run<OperationResult>('executeChangeSet', { inspection: { ...safe, ...(await world.judged({ deployment: late })) }, deployment: late });
    expect(result.waitSeconds).toBe(60);
  });
});

describe('deleteChangeSet of a change set CloudFormation cannot delete yet', () => {
  const refused = () => new InvalidChangeSetStatusException({ message: 'ChangeSet cannot be deleted in its current status', $metadata: {} });

  test('GIVEN a change set still being created WHEN its deletion is refused THEN the task fails with ChangeSetBeingCreated, which the state machine retries', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [], 'CREATE_IN_PROGRESS');
    world.cloudformation.failWith('DeleteChangeSet', refused());

    const result = world.run('deleteChangeSet', {});

    await expect(result).rejects.toMatchObject({ name: 'ChangeSetBeingCreated', message: expect.stringContaining('is still being created: its deletion is retried') });
  });

  test('GIVEN a change set being executed WHEN its deletion is refused THEN the refusal stands (no retry could change it)', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack(STACK, 'UPDATE_COMPLETE');
    world.cloudformation.putChangeSet(STACK, CHANGE_SET, [], 'CREATE_COMPLETE');
    world.cloudformation.failWith('DeleteChangeSet', refused());

    const result = world.run('deleteChangeSet', {});

    await expect(result).rejects.toMatchObject({ name: 'InvalidChangeSetStatusException' });
  });
});
