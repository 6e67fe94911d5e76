/**
 * SafetyPolicy.fromFunction: the user's own Lambda function receives the change set's changes and answers a
 * verdict with reasons. What it allows is executed; what it denies is deleted and reported with its reasons.
 * It fails closed: an answer the workflow cannot read is a DENY, a function error fails the deployment, and a
 * change with a value the library does not recognise is denied whatever the function says.
 */
import type { Change } from '@aws-sdk/client-cloudformation';
import { ResourceNotFoundException, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { resourceChange, FakeLambda } from '../fakes';
import {
  POLICY_FUNCTION_ARN, S, STACK_NAME, causeMessage, createPipelineWorld, createWorld, deploy, deploymentFor, importedResources, runPipelineAction,
  synthesizeWith,
} from './harness';
import type { SynthesizedWorkflow, World } from './harness';
import { SafetyPolicy } from '../../src';
import { changeSetNameFor } from '../../src/shared/naming';

const JOB = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const IN_PLACE = resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False');
const ALARM_ADDED = resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm');
const REMOVE_DATABASE = resourceChange('Remove', 'Database', 'AWS::RDS::DBInstance');

let synthesized: SynthesizedWorkflow;
beforeAll(() => {
  synthesized = synthesizeWith({ safetyPolicy: SafetyPolicy.fromFunction(importedResources().policyFunction) });
});

function worldWith(changes: Change[], answer: FakeLambda['answer']): World {
  const world = createWorld({ synthesized });
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes };
  world.lambda.answer = answer;
  return world;
}

/** The change set was refused: deleted, never executed. */
function expectRefusedAndDeleted(world: World): void {
  expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
  expect(world.cfn.changeSet(STACK_NAME, deploymentFor(undefined, world.synthesized).changeSetName)).toBeUndefined();
}

describe('a policy function that answers', () => {
  test('GIVEN the action synthesized with fromFunction WHEN CodePipeline runs it THEN the function receives stackName, changeSetName and the changes; its ALLOW executes even a Remove the default policy would deny', async () => {
    // GIVEN
    expect(JSON.parse(synthesized.userParameters).policy).toEqual({ type: 'function', functionArn: POLICY_FUNCTION_ARN });
    const world = createPipelineWorld({ synthesized });
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [IN_PLACE, REMOVE_DATABASE] };
    world.lambda.answer = () => FakeLambda.json({ verdict: 'ALLOW', reasons: [{ reason: 'the database moved to another stack' }] });
    world.extras.putOutputs(STACK_NAME, { QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:orders' });

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN
    expect(world.lambda.calls).toEqual([{
      functionName: POLICY_FUNCTION_ARN,
      event: { stackName: STACK_NAME, changeSetName: changeSetNameFor(JOB), changes: [IN_PLACE, REMOVE_DATABASE] },
    }]);
    expect(world.runs[0].output.inspection).toMatchObject({ verdict: 'ALLOW', changeCount: 2, violationCount: 0 });
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(0);
    expect(action.final.input.outputVariables).toEqual({
      QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:orders',
      StackName: STACK_NAME,
      Outcome: 'UPDATED',
      Verdict: 'ALLOW',
      ChangeSetName: changeSetNameFor(JOB),
    });
    expect(action.final.input.executionDetails.summary).toContain(`Updated stack ${STACK_NAME} (1 Modify, 1 Remove).`);
  });

  test('GIVEN the function denies the Remove with a reason naming the resource WHEN CodePipeline runs the action THEN the change set is deleted, never executed, and the job fails with that reason and only that resource', async () => {
    // GIVEN
    const world = createPipelineWorld({ synthesized });
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [IN_PLACE, ALARM_ADDED, REMOVE_DATABASE] };
    world.lambda.answer = () => FakeLambda.json({
      verdict: 'DENY',
      reasons: [{ logicalId: 'Database', verdict: 'DENY', reason: 'the orders database is never removed by a pipeline' }],
    });

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN
    const [execution] = world.runs;
    expect(execution.error).toBe('UnsafeChangeSet');
    expect(execution.cause).toContain('1 of 3 changes is not allowed: Database (AWS::RDS::DBInstance): Remove refused by policy-function: the orders database is never removed by a pipeline');
    expect(execution.cause).not.toMatch(/Queue|Alarm/);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input)).toEqual([{ StackName: STACK_NAME, ChangeSetName: changeSetNameFor(JOB) }]);
    expect(action.final.kind).toBe('failure');
    expect(action.final.input.failureDetails.message).toContain('(UnsafeChangeSet)');
    expect(action.final.input.failureDetails.message).toContain('Database (AWS::RDS::DBInstance): Remove refused by policy-function: the orders database is never removed by a pipeline');
  });

  test('GIVEN the function denies with a reason for the whole change set WHEN inspected THEN every change is refused with that reason', async () => {
    // GIVEN
    const world = worldWith([IN_PLACE, ALARM_ADDED], () => FakeLambda.json({ verdict: 'DENY', reasons: [{ reason: 'change freeze until Monday' }] }));

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('2 of 2 changes are not allowed');
    expect(result.cause).toContain('Queue (AWS::SQS::Queue): Modify, replacement False refused by policy-function: change freeze until Monday');
    expect(result.cause).toContain('Alarm (AWS::CloudWatch::Alarm): Add refused by policy-function: change freeze until Monday');
    expectRefusedAndDeleted(world);
  });

  test('GIVEN the function asks for approval and the action has no approver (fail()) WHEN inspected THEN the change set is refused like a denied one', async () => {
    // GIVEN
    const world = worldWith([IN_PLACE, REMOVE_DATABASE], () => FakeLambda.json({
      verdict: 'REQUIRE_APPROVAL', reasons: [{ logicalId: 'Database', reason: 'a DBA must look at this' }],
    }));

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('1 of 2 changes is not allowed: Database (AWS::RDS::DBInstance): Remove refused by policy-function: a DBA must look at this (needs approval)');
    expect(result.path).not.toContain(S.waitForApproval);
    expectRefusedAndDeleted(world);
  });
});

describe('a policy function whose answer cannot be trusted (fail closed)', () => {
  test.each([
    ['not JSON', 'Internal Server Error', 'the policy function\'s answer is not JSON'],
    ['an empty payload', '', 'the policy function\'s answer is not JSON'],
    ['JSON null', 'null', 'the policy function answered an unknown verdict undefined'],
    ['no verdict', '{"reasons":[]}', 'the policy function answered an unknown verdict undefined'],
    ['an unknown verdict', '{"verdict":"MAYBE"}', 'the policy function answered an unknown verdict "MAYBE"'],
    ['a lower-case verdict', '{"verdict":"allow"}', 'the policy function answered an unknown verdict "allow"'],
    ['a verdict that is not a string', '{"verdict":true}', 'the policy function answered an unknown verdict true'],
  ])('GIVEN an answer with %s WHEN inspected THEN every change is denied and the change set deleted, never executed', async (_what, payload, reason) => {
    // GIVEN
    const world = worldWith([IN_PLACE, ALARM_ADDED], () => ({ payload }));

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(world.lambda.calls).toHaveLength(1);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('2 of 2 changes are not allowed');
    expect(result.cause).toContain(`Queue (AWS::SQS::Queue): Modify, replacement False refused by policy-function: ${reason}`);
    expectRefusedAndDeleted(world);
  });

  test.each([
    ['an ALLOW whose reasons deny a change', { verdict: 'ALLOW', reasons: [{ logicalId: 'Alarm', verdict: 'DENY', reason: 'alarms need an owner tag' }] }, 'alarms need an owner tag'],
    ['a reason with an unknown verdict', { verdict: 'ALLOW', reasons: [{ logicalId: 'Alarm', verdict: 'FINE', reason: 'looks fine' }] }, 'looks fine'],
  ])('GIVEN %s WHEN inspected THEN that change is denied, the rest is not blamed, and nothing is executed', async (_what, answer, reason) => {
    // GIVEN
    const world = worldWith([IN_PLACE, ALARM_ADDED], () => FakeLambda.json(answer));

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain(`1 of 2 changes is not allowed: Alarm (AWS::CloudWatch::Alarm): Add refused by policy-function: ${reason}`);
    expect(result.cause).not.toContain('Queue');
    expectRefusedAndDeleted(world);
  });

  test('GIVEN a change with an unrecognised Action WHEN the function says ALLOW THEN that change is denied anyway and nothing is executed', async () => {
    // GIVEN
    const moved: Change = { Type: 'Resource', ResourceChange: { Action: 'Move' as any, LogicalResourceId: 'Topic', ResourceType: 'AWS::SNS::Topic' } };
    const world = worldWith([IN_PLACE, moved], () => FakeLambda.json({ verdict: 'ALLOW' }));

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('1 of 2 changes is not allowed: Topic (AWS::SNS::Topic): Move refused by unrecognised-value: action "Move"');
    expectRefusedAndDeleted(world);
  });

  test('GIVEN the function throws (FunctionError) WHEN inspected THEN the deployment fails with the function\'s error and the change set is deleted, never executed', async () => {
    // GIVEN
    const world = worldWith([IN_PLACE], () => FakeLambda.crashed('TypeError', 'Cannot read properties of undefined (reading \'ResourceType\')'));

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Error');
    const message = causeMessage(result.cause);
    expect(message).toContain(`the policy function ${POLICY_FUNCTION_ARN} failed (Unhandled)`);
    expect(message).toContain('Cannot read properties of undefined');
    expect(result.path.slice(-3)).toEqual([S.inspectChangeSet, S.cleanUpAfterError, S.deploymentErrored]);
    expectRefusedAndDeleted(world);
  });

  test('GIVEN the function cannot be invoked (ResourceNotFoundException) WHEN inspected THEN the deployment fails and the change set is deleted, never executed', async () => {
    // GIVEN
    const world = worldWith([IN_PLACE], () => {
      throw new ResourceNotFoundException({ message: `Function not found: ${POLICY_FUNCTION_ARN}`, $metadata: { httpStatusCode: 404 } });
    });

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.error).toBe('ResourceNotFoundException');
    expect(causeMessage(result.cause)).toContain('Function not found');
    expect(result.path.slice(-2)).toEqual([S.cleanUpAfterError, S.deploymentErrored]);
    expectRefusedAndDeleted(world);
  });

  test('GIVEN the first invocation is throttled WHEN inspected THEN the state machine retries it and the function\'s ALLOW is applied', async () => {
    // GIVEN
    let attempts = 0;
    const world = worldWith([IN_PLACE], () => {
      if (++attempts === 1) throw new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: { httpStatusCode: 429 } });
      return FakeLambda.json({ verdict: 'ALLOW' });
    });

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retriesOf(S.inspectChangeSet)).toBe(1);
    expect(world.lambda.calls).toHaveLength(2);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
  });
});
