/**
 * How a unit's rounds are planned: a stack that depends on an earlier stack (dependsOn) waits for a later round,
 * and a parameter taken from an earlier stack's output gets the value of that output, whatever the parameter is
 * called.
 */
import { unitDeploymentOf } from './unit-support';
import type { UnitMemberState, WorkflowState } from '../../src/shared/contract';
import { planUnitRound } from '../../src/workflow/tasks/unit';

const JOB = '0f0e0d0c-0000-4000-8000-00000000cccc';

/** The members after the first round deployed `network` (with `outputs`) and left the others waiting. */
function afterNetwork(outputs: Record<string, string>): UnitMemberState[] {
  return [
    { stackName: 'prod-network', status: 'UPDATED', round: 1, outputs },
    { stackName: 'prod-app', status: 'WAITING' },
  ];
}

describe('GIVEN a stack that depends on the stack before it (dependsOn)', () => {
  const deployment = unitDeploymentOf(JOB, { stacks: ['network', { stackName: 'app', dependsOn: ['network'] }] });

  test('WHEN the first round is planned THEN only the earlier stack is reviewed: the other waits for it to be deployed', async () => {
    const unit = await planUnitRound({ deployment } as WorkflowState);
    expect(unit.next).toBe('REVIEW');
    expect(unit.review.map((d) => d.stackName)).toEqual(['prod-network']);
    expect(unit.members.map((m) => [m.stackName, m.status, m.round])).toEqual([
      ['prod-network', 'WAITING', 1],
      ['prod-app', 'WAITING', undefined],
    ]);
  });

  test('WHEN the earlier stack is deployed THEN the next round reviews the stack that depends on it', async () => {
    const unit = await planUnitRound({ deployment, unit: { members: afterNetwork({}), round: 1, review: [], next: 'REVIEW' } } as WorkflowState);
    expect(unit.next).toBe('REVIEW');
    expect(unit.round).toBe(2);
    expect(unit.review.map((d) => d.stackName)).toEqual(['prod-app']);
  });

  test('WHEN two stacks do not depend on each other THEN both are reviewed in the first round (the contrast)', async () => {
    const free = unitDeploymentOf(JOB, { stacks: ['network', 'app'] });
    const unit = await planUnitRound({ deployment: free } as WorkflowState);
    expect(unit.review.map((d) => d.stackName)).toEqual(['prod-network', 'prod-app']);
  });
});

describe('GIVEN a parameter named otherwise than the output it takes (NetworkVpc from network.VpcId)', () => {
  const deployment = unitDeploymentOf(JOB, {
    stacks: ['network', { stackName: 'app', parameterOutputs: { NetworkVpc: 'network.VpcId' } }],
  });

  test('WHEN the earlier stack has the output THEN the parameter gets its value', async () => {
    const unit = await planUnitRound({
      deployment, unit: { members: afterNetwork({ VpcId: 'vpc-0abc', NetworkVpc: 'not this one' }), round: 1, review: [], next: 'REVIEW' },
    } as WorkflowState);
    expect(unit.next).toBe('REVIEW');
    expect(unit.review).toHaveLength(1);
    expect(unit.review[0].parameterOverrides).toEqual(expect.objectContaining({ NetworkVpc: 'vpc-0abc' }));
  });

  test('WHEN the earlier stack has an output named like the parameter only THEN the round fails, naming the output it lacks', async () => {
    const unit = await planUnitRound({
      deployment, unit: { members: afterNetwork({ NetworkVpc: 'vpc-0abc' }), round: 1, review: [], next: 'REVIEW' },
    } as WorkflowState);
    expect(unit.next).toBe('FAIL');
    expect(unit.reason).toContain('prod-app needs output VpcId of prod-network (parameter NetworkVpc), which prod-network does not have');
  });
});
