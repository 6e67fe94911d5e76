/**
 * Deciding whether the stack exists, and its errors: only CloudFormation's "does not exist" ValidationError leads
 * to the create path. Throttling is retried by the state machine and never taken for a missing stack; any
 * other error fails the deployment.
 */
import { awsError, resourceChange } from '../fakes';
import { S, STACK_NAME, causeMessage, createWorld, deploy } from './harness';

describe('throttling on DescribeStacks', () => {
  test('GIVEN DescribeStacks is throttled three times WHEN deployed THEN the check is retried and the existing stack goes to the change set path', async () => {
    // GIVEN
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.throttle('DescribeStacks', 3);
    world.cfn.onCreateChangeSet = { changes: [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')] };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retriesOf(S.checkStack)).toBe(3);
    expect(world.cfn.callsOf('DescribeStacks').slice(0, 4).map((c) => c.error ?? c.status))
      .toEqual(['Throttling', 'Throttling', 'Throttling', 'UPDATE_COMPLETE']);
    expect(run.outputsOf(S.checkStack).map((o) => o.stack.next)).toEqual(['CHANGE_SET']);
    expect(run.path).not.toContain(S.createStack);
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
    expect(world.cfn.callsOf('CreateChangeSet')).toHaveLength(1);
  });

  test('GIVEN DescribeStacks is throttled on every call WHEN deployed THEN the execution fails after its retries and CreateStack is never called', async () => {
    // GIVEN: whether the stack exists is unknown; it must not be taken as missing.
    const world = createWorld();
    world.cfn.throttle('DescribeStacks', Infinity);

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TransientAwsError');
    expect(causeMessage(run.cause)).toBe('Throttling: Rate exceeded');
    const retries = run.retriesOf(S.checkStack);
    expect(retries).toBeGreaterThan(0);
    expect(world.cfn.callsOf('DescribeStacks')).toHaveLength(retries + 1);
    expect(world.cfn.callsOf('DescribeStacks').every((c) => c.error === 'Throttling')).toBe(true);
    expect(run.path).not.toContain(S.createStack);
    expect(run.path.slice(-2)).toEqual([S.checkStack, S.deploymentErrored]);
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
    expect(world.cfn.writes()).toEqual([]);
  });
});

describe('other DescribeStacks errors', () => {
  test('GIVEN DescribeStacks is denied WHEN deployed THEN the execution fails with AccessDenied at once and the stack is not created', async () => {
    // GIVEN
    const world = createWorld();
    world.cfn.failWith('DescribeStacks', awsError('AccessDenied',
      'User: arn:aws:sts::123456789012:assumed-role/TaskRole/fn is not authorized to perform: cloudformation:DescribeStacks'));

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expect(causeMessage(run.cause)).toContain('is not authorized to perform: cloudformation:DescribeStacks');
    expect(run.retriesOf(S.checkStack)).toBe(0);
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
    expect(world.cfn.writes()).toEqual([]);
  });
});
