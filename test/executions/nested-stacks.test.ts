/**
 * Nested stacks: with `includeNestedStacks`, change sets are created with IncludeNestedStacks and every
 * nested stack's change set (the parent change's ResourceChange.ChangeSetId, described by ARN, every page) is
 * inspected, recursively; a refused change names the nested stacks around it. Without it, only the root change
 * set is read.
 */
import type { Change } from '@aws-sdk/client-cloudformation';
import { resourceChange, nestedChangeSetArn, nestedStackChange } from '../fakes';
import {
  S, STACK_NAME, createPipelineWorld, createWorld, deploy, deploymentFor, importedResources, runPipelineAction, synthesizeWith, synthesizeWorkflow,
} from './harness';
import type { SynthesizedWorkflow, World } from './harness';
import { SafetyPolicy } from '../../src';
import { changeSetNameFor } from '../../src/shared/naming';

const JOB = '3b4c5d6e-7f80-4912-a3b4-c5d6e7f80912';
const NETWORK_ARN = nestedChangeSetArn('NetworkStack-1A2B3C');
const SUBNETS_ARN = nestedChangeSetArn('SubnetsStack-4D5E6F');
const NETWORK_STACK = `${STACK_NAME}-NetworkStack-1A2B3C4D5E6F`;
const SUBNETS_STACK = `${NETWORK_STACK}-SubnetsStack-7A8B9C`;
const IN_PLACE = resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False');

let withNested: SynthesizedWorkflow;
let withNestedAndFunction: SynthesizedWorkflow;
beforeAll(() => {
  withNested = synthesizeWith({ includeNestedStacks: true });
  withNestedAndFunction = synthesizeWith({ includeNestedStacks: true, safetyPolicy: SafetyPolicy.fromFunction(importedResources().policyFunction) });
});

/** The root change set holds a safe change and the NetworkStack; NetworkStack's own change set holds `nested`. */
function worldWith(synthesized: SynthesizedWorkflow, nested: Change[]): { world: World; changeSetName: string } {
  const world = createWorld({ synthesized });
  const changeSetName = deploymentFor(undefined, world.synthesized).changeSetName;
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: [IN_PLACE, nestedStackChange('NetworkStack', NETWORK_ARN)] };
  world.extras.putNestedChangeSet(NETWORK_ARN, {
    root: { stackName: STACK_NAME, changeSetName }, stackName: NETWORK_STACK, changes: nested,
  });
  return { world, changeSetName };
}

const describedByArn = (world: World, arn: string) =>
  world.cfn.callsOf('DescribeChangeSet').filter((c) => c.input.ChangeSetName === arn);

describe('an action with includeNestedStacks', () => {
  test('GIVEN a Remove on the second page of a nested stack\'s change set WHEN CodePipeline runs the action THEN the nested change set is read by ARN, every page, and the Remove is caught and named with its nested stack', async () => {
    // GIVEN
    const world = createPipelineWorld({ synthesized: withNested });
    const changeSetName = changeSetNameFor(JOB);
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [IN_PLACE, nestedStackChange('NetworkStack', NETWORK_ARN)] };
    world.extras.putNestedChangeSet(NETWORK_ARN, {
      root: { stackName: STACK_NAME, changeSetName },
      stackName: NETWORK_STACK,
      pageSize: 2,
      changes: [
        resourceChange('Add', 'FlowLogs', 'AWS::EC2::FlowLog'),
        resourceChange('Modify', 'Vpc', 'AWS::EC2::VPC', 'False'),
        resourceChange('Remove', 'PrivateSubnet', 'AWS::EC2::Subnet'),
      ],
    });

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN: created with nested stacks; the nested change set read by its ARN, both pages.
    expect(world.cfn.callsOf('CreateChangeSet')[0].input).toMatchObject({ StackName: STACK_NAME, IncludeNestedStacks: true });
    expect(describedByArn(world, NETWORK_ARN).map((c) => [c.input.StackName, c.input.NextToken, c.error])).toEqual([
      [undefined, undefined, undefined],
      [undefined, 'nested-page-2', undefined],
    ]);
    const [execution] = world.runs;
    expect(execution.error).toBe('UnsafeChangeSet');
    const { inspection } = execution.outputsOf(S.inspectChangeSet)[0];
    expect(inspection).toMatchObject({
      verdict: 'DENY', changeCount: 5, violationCount: 1, nestedChangeSets: 1, counts: { Modify: 3, Add: 1, Remove: 1 },
    });
    expect(inspection.violations).toEqual([{
      logicalId: 'PrivateSubnet', resourceType: 'AWS::EC2::Subnet', action: 'Remove', rule: 'no-deletion', path: ['NetworkStack'],
    }]);
    expect(execution.cause).toContain('1 of 5 changes is not allowed: NetworkStack/PrivateSubnet (AWS::EC2::Subnet): Remove refused by no-deletion');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input)).toEqual([{ StackName: STACK_NAME, ChangeSetName: changeSetName }]);
    expect(action.final.kind).toBe('failure');
    expect(action.final.input.failureDetails.message).toContain('NetworkStack/PrivateSubnet (AWS::EC2::Subnet): Remove refused by no-deletion');
  });

  test('GIVEN a nested stack inside a nested stack WHEN inspected THEN the inner change set is read too and the refused change is named with both stacks', async () => {
    // GIVEN
    const { world, changeSetName } = worldWith(withNested, [
      resourceChange('Modify', 'Vpc', 'AWS::EC2::VPC', 'False'),
      nestedStackChange('SubnetsStack', SUBNETS_ARN),
    ]);
    world.extras.putNestedChangeSet(SUBNETS_ARN, {
      root: { stackName: STACK_NAME, changeSetName },
      stackName: SUBNETS_STACK,
      changes: [resourceChange('Modify', 'PublicSubnet', 'AWS::EC2::Subnet', 'True')],
    });

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(describedByArn(world, NETWORK_ARN)).toHaveLength(1);
    expect(describedByArn(world, SUBNETS_ARN)).toHaveLength(1);
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('NetworkStack/SubnetsStack/PublicSubnet (AWS::EC2::Subnet): Modify, replacement True refused by no-replacement');
    expect(result.outputsOf(S.inspectChangeSet)[0].inspection).toMatchObject({
      changeCount: 5, violationCount: 1, nestedChangeSets: 2, violations: [{ logicalId: 'PublicSubnet', path: ['NetworkStack', 'SubnetsStack'] }],
    });
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
  });

  test('GIVEN nested change sets with safe changes only WHEN inspected THEN the root change set is executed after all of them were read', async () => {
    // GIVEN
    const { world } = worldWith(withNested, [
      resourceChange('Add', 'FlowLogs', 'AWS::EC2::FlowLog'),
      resourceChange('Modify', 'Vpc', 'AWS::EC2::VPC', 'False'),
    ]);

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.inspection).toMatchObject({ verdict: 'ALLOW', changeCount: 4, violationCount: 0, nestedChangeSets: 1 });
    const nestedRead = world.cfn.calls.findIndex((c) => c.op === 'DescribeChangeSet' && c.input.ChangeSetName === NETWORK_ARN);
    const executed = world.cfn.calls.findIndex((c) => c.op === 'ExecuteChangeSet');
    expect(nestedRead).toBeGreaterThanOrEqual(0);
    expect(nestedRead).toBeLessThan(executed);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(0);
  });

  test('GIVEN a policy function WHEN nested change sets are inspected THEN the function receives the nested changes with the path of their nested stack', async () => {
    // GIVEN
    const removal = resourceChange('Remove', 'PrivateSubnet', 'AWS::EC2::Subnet');
    const { world } = worldWith(withNestedAndFunction, [removal]);
    world.lambda.answer = () => ({
      payload: JSON.stringify({
        verdict: 'DENY',
        reasons: [{ logicalId: 'PrivateSubnet', verdict: 'DENY', reason: 'subnets are removed by the network team only' }],
      }),
    });

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(world.lambda.calls).toHaveLength(1);
    const { changes } = world.lambda.calls[0].event;
    expect(changes).toEqual([IN_PLACE, nestedStackChange('NetworkStack', NETWORK_ARN), { ...removal, NestedStackPath: ['NetworkStack'] }]);
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('NetworkStack/PrivateSubnet (AWS::EC2::Subnet): Remove refused by policy-function: subnets are removed by the network team only');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });
});

describe('nested stacks with the default settings', () => {
  test('GIVEN the default action (includeNestedStacks left out) and a table removed inside a nested stack WHEN deployed THEN the nested change set is read, the removal is refused and nothing is executed', async () => {
    // GIVEN: the parent's change set shows only a harmless-looking Modify of the nested stack.
    const { world, changeSetName } = worldWith(synthesizeWorkflow(), [resourceChange('Remove', 'OrdersTable', 'AWS::DynamoDB::Table')]);

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(world.cfn.callsOf('CreateChangeSet')[0].input.IncludeNestedStacks).toBe(true);
    expect(describedByArn(world, NETWORK_ARN)).toHaveLength(1);
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('NetworkStack/OrdersTable (AWS::DynamoDB::Table): Remove refused by no-deletion');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input)).toEqual([{ StackName: STACK_NAME, ChangeSetName: changeSetName }]);
  });
});

describe('an action that opts out of nested stacks (includeNestedStacks: false)', () => {
  test('GIVEN a Modify of a nested stack WHEN deployed THEN the change set is created without IncludeNestedStacks, the nested change set is never read, and the Modify is refused as not inspected', async () => {
    // GIVEN: what is inside would be a Remove; without inspection nobody can know.
    const { world } = worldWith(synthesizeWith({ includeNestedStacks: false }), [resourceChange('Remove', 'PrivateSubnet', 'AWS::EC2::Subnet')]);

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(world.cfn.callsOf('CreateChangeSet')[0].input.IncludeNestedStacks).toBeUndefined();
    expect(describedByArn(world, NETWORK_ARN)).toHaveLength(0);
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.outputsOf(S.inspectChangeSet)[0].inspection).toMatchObject({
      verdict: 'DENY',
      changeCount: 2,
      nestedChangeSets: 0,
      violations: [{
        logicalId: 'NetworkStack',
        resourceType: 'AWS::CloudFormation::Stack',
        action: 'Modify',
        rule: 'nested-stack-not-inspected: nested stacks are not inspected (includeNestedStacks is false)',
      }],
    });
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });
});

describe('a nested change set that cannot be read completely', () => {
  test('GIVEN a nested change set the task function may not read WHEN inspected THEN its stack counts as not inspected and the change set is refused, naming why', async () => {
    // GIVEN: DescribeChangeSet of the nested change set is refused (its stack is outside the task function's rights).
    const { world } = worldWith(withNested, [resourceChange('Add', 'FlowLogs', 'AWS::EC2::FlowLog')]);
    world.extras.denyNestedChangeSet(NETWORK_ARN);

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('NetworkStack (AWS::CloudFormation::Stack): Modify, replacement False refused by nested-stack-not-inspected: its change set could not be read (AccessDeniedException)');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });
});
