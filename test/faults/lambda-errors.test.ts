/**
 * Lambda service errors in the state machine (issue item 4: errors and retries): every Task state retries the Lambda
 * service's own errors (Lambda.ServiceException and its kin) with back-off, up to MaxAttempts; beyond that
 * the deployment ends in Deployment Errored, and a change set created by this deployment is deleted first.
 * Errors of the function itself (Lambda.Unknown: a crash, out of memory) are not retried.
 *
 * The errors are raised where the task handler makes its first AWS call, before the call is sent: to the
 * Task state this is the same as Lambda failing to run the function (no side effect, an error of that name).
 */
import {
  CloudFormationClient, DeleteChangeSetCommand, DescribeChangeSetCommand, DescribeStacksCommand, ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TRANSIENT, accessDenied, intercept, lambdaError } from './support';
import type { Intercepted } from './support';
import { S, STACK_NAME, causeMessage, createWorld, deploymentFor, issueJobFor, runWorkflow } from '../executions/harness';
import type { World } from '../executions/harness';
import { resourceChange } from '../fakes';

interface FaultyWorld extends World {
  readonly cfnCalls: Intercepted<CloudFormationClient>;
  readonly s3Calls: Intercepted<S3Client>;
}

/** An existing stack and a safe change set: the path that creates, inspects and executes a change set. */
function updateWorld(): FaultyWorld {
  const world = createWorld();
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')] };
  return { ...world, cfnCalls: intercept(world.cfn.client), s3Calls: intercept(world.s3.client) };
}

function deployIn(world: FaultyWorld, deployment = deploymentFor()) {
  issueJobFor(world, deployment);
  return runWorkflow({ deployment }, { ...world.deps, cloudformation: world.cfnCalls.client, s3: world.s3Calls.client });
}

/** The Lambda service errors every Task state retries (as the construct test checks in the definition). */
const RETRIED = [
  'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException', 'Lambda.ClientExecutionTimeoutException',
];

describe('a Lambda service error a few times: retried, and the deployment succeeds', () => {
  test.each(RETRIED)('GIVEN %s twice on Execute Change Set WHEN deployed THEN the state is retried and the change set executed once', async (name) => {
    // GIVEN
    const world = updateWorld();
    world.cfnCalls.failBefore(ExecuteChangeSetCommand, 2, () => lambdaError(name));

    // WHEN
    const run = await deployIn(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retriesOf(S.executeChangeSet)).toBe(2);
    expect(world.cfn.writes().filter((c) => c.op === 'ExecuteChangeSet')).toHaveLength(1);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
  });

  test('GIVEN Lambda.ServiceException on the first task, then on the checks and the poll WHEN deployed THEN each state is retried and the deployment succeeds', async () => {
    // GIVEN
    const world = updateWorld();
    world.s3Calls.failBefore(GetObjectCommand, 2, () => lambdaError());
    world.cfnCalls.failBefore(DescribeStacksCommand, 1, () => lambdaError());
    world.cfnCalls.failBefore(DescribeChangeSetCommand, 1, () => lambdaError('Lambda.TooManyRequestsException'));

    // WHEN
    const run = await deployIn(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retriesOf(S.readTemplate)).toBe(2);
    expect(run.retriesOf(S.checkStack)).toBe(1);
    expect(run.retriesOf(S.getChangeSetCreationStatus)).toBe(1);
    expect(world.cfn.writes().map((c) => c.op)).toEqual(['CreateChangeSet', 'ExecuteChangeSet']);
  });
});

describe('a Lambda service error beyond MaxAttempts: Deployment Errored, and the change set is deleted', () => {
  test('GIVEN Lambda.ServiceException on every Get Change Set Creation Status WHEN deployed THEN after 6 retries the change set is deleted and the deployment errors with that error', async () => {
    // GIVEN
    const world = updateWorld();
    world.cfnCalls.failBefore(DescribeChangeSetCommand, Infinity, () => lambdaError());
    const deployment = deploymentFor();

    // WHEN
    const run = await deployIn(world, deployment);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Lambda.ServiceException');
    expect(causeMessage(run.cause)).toContain('Lambda was unable to run the function');
    expect(run.retriesOf(S.getChangeSetCreationStatus)).toBe(6);
    expect(run.visits(S.getChangeSetCreationStatus)).toBe(1);
    expect(run.path.slice(-2)).toEqual([S.cleanUpAfterError, S.deploymentErrored]);
    expect(world.cfn.writes().map((c) => c.op)).toEqual(['CreateChangeSet', 'DeleteChangeSet']);
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
  });

  test('GIVEN Lambda.ServiceException on every Execute Change Set WHEN deployed THEN the change set is deleted and never executed', async () => {
    // GIVEN
    const world = updateWorld();
    world.cfnCalls.failBefore(ExecuteChangeSetCommand, Infinity, () => lambdaError());
    const deployment = deploymentFor();

    // WHEN
    const run = await deployIn(world, deployment);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Lambda.ServiceException');
    expect(run.retriesOf(S.executeChangeSet)).toBe(6);
    expect(run.path.slice(-2)).toEqual([S.cleanUpAfterError, S.deploymentErrored]);
    expect(world.cfn.writes().map((c) => c.op)).toEqual(['CreateChangeSet', 'DeleteChangeSet']);
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
  });

  test('GIVEN Lambda.ServiceException on every Check Stack Existence WHEN deployed THEN the deployment errors and nothing is written (there is no change set yet)', async () => {
    // GIVEN
    const world = updateWorld();
    world.cfnCalls.failBefore(DescribeStacksCommand, Infinity, () => lambdaError());

    // WHEN
    const run = await deployIn(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Lambda.ServiceException');
    expect(run.retriesOf(S.checkStack)).toBe(6);
    expect(run.path.slice(-2)).toEqual([S.checkStack, S.deploymentErrored]);
    expect(world.cfn.writes()).toEqual([]);
  });
});

describe('errors that are not retried', () => {
  test('GIVEN the function itself fails (Lambda.Unknown: a crash or out of memory) while inspecting WHEN deployed THEN it is not retried; the change set is deleted', async () => {
    // GIVEN: once the change set is CREATE_COMPLETE, the next DescribeChangeSet is the inspection's.
    const world = updateWorld();
    const deployment = deploymentFor();
    world.cfnCalls.on(DescribeChangeSetCommand, async (input, next) => {
      if (world.cfn.changeSet(input.StackName, input.ChangeSetName)?.status === 'CREATE_COMPLETE') throw lambdaError('Lambda.Unknown');
      return next();
    });

    // WHEN
    const run = await deployIn(world, deployment);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Lambda.Unknown');
    expect(run.retriesOf(S.inspectChangeSet)).toBe(0);
    expect(run.path.slice(-3)).toEqual([S.inspectChangeSet, S.cleanUpAfterError, S.deploymentErrored]);
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });

  test('GIVEN Execute Change Set is denied and the clean-up is throttled on every attempt WHEN deployed THEN the deployment reports the original error, not the clean-up\'s', async () => {
    // GIVEN
    const world = updateWorld();
    world.cfnCalls.failBefore(ExecuteChangeSetCommand, Infinity, () => accessDenied('cloudformation:ExecuteChangeSet'));
    world.cfnCalls.failBefore(DeleteChangeSetCommand, Infinity, TRANSIENT.throttling);

    // WHEN
    const run = await deployIn(world);

    // THEN: the clean-up was retried and gave up; the failure the pipeline sees is the real one.
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expect(causeMessage(run.cause)).toContain('not authorized to perform: cloudformation:ExecuteChangeSet');
    expect(run.retriesOf(S.executeChangeSet)).toBe(0);
    expect(run.retriesOf(S.cleanUpAfterError)).toBe(5);
    expect(run.path.slice(-2)).toEqual([S.cleanUpAfterError, S.deploymentErrored]);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });
});
