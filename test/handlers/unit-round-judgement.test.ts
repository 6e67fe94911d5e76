/**
 * What the judgement of a unit's round keeps and deletes: a stack cut from the round (its change set failed only
 * because it imports an export an earlier stack of the round creates) has its failed change set deleted too, and a
 * stack found up to date keeps its outputs for the stacks of later rounds.
 */
import { executionOf, inspectionOf, runTaskAt, unitDeploymentOf, unitDeps } from './unit-support';
import { memberDeployment } from '../../src/shared/config';
import type { UnitReview, UnitState, WorkflowState } from '../../src/shared/contract';
import { STATE_NAMES } from '../../src/shared/state-names';
import { planUnitRound } from '../../src/workflow/tasks/unit';

const JOB = '0f0e0d0c-0000-4000-8000-00000000dddd';
const EXECUTION = executionOf(JOB);

describe('GIVEN a round whose second stack imports an export the first one creates', () => {
  test('WHEN judged THEN the second stack waits for the next round and its failed change set is deleted, not left on the stack', async () => {
    // GIVEN
    const deployment = unitDeploymentOf(JOB, { stacks: ['network', 'app'] });
    const review = deployment.unit!.map((_, i) => ({ ...memberDeployment(deployment, i), changeSetName: `${deployment.changeSetName}-${i + 1}` }));
    const [network, app] = review;
    const reason = 'No export named prod-network-VpcId found';
    const reviews: UnitReview[] = [
      { stackName: network.stackName, plan: 'EXECUTE', changeSet: { name: network.changeSetName, type: 'UPDATE', outcome: 'READY', waitSeconds: 5 }, inspection: inspectionOf('ALLOW') },
      { stackName: app.stackName, plan: 'FAILED', changeSet: { name: app.changeSetName, type: 'UPDATE', outcome: 'FAILED', waitSeconds: 5, reason } },
    ];
    const world = unitDeps();
    world.cfn.putStack(network.stackName, 'UPDATE_COMPLETE');
    world.cfn.putStack(app.stackName, 'UPDATE_COMPLETE');
    world.cfn.putChangeSet(network.stackName, network.changeSetName, []);
    world.cfn.putChangeSet(app.stackName, app.changeSetName, [], 'FAILED', reason);
    const unit: UnitState = { members: review.map((d) => ({ stackName: d.stackName, status: 'WAITING', round: 1 })), round: 1, review, next: 'REVIEW' };

    // WHEN
    const judged = await runTaskAt(EXECUTION, 'judgeUnit', STATE_NAMES.judgeUnit, { deployment, unit, reviews } as WorkflowState, world).result as UnitState;

    // THEN
    expect(judged.members.map((m) => [m.stackName, m.status])).toEqual([[network.stackName, 'REVIEWED'], [app.stackName, 'WAITING']]);
    const deleted = world.cfn.callsOf('DeleteChangeSet').map((c) => [c.input.StackName, c.input.ChangeSetName]);
    expect(deleted).toEqual([[app.stackName, app.changeSetName]]);
  });
});

describe('GIVEN a round whose first stack is up to date and has outputs a later stack takes', () => {
  test('WHEN judged THEN the stack keeps its outputs, and the next round gives the later stack their value', async () => {
    // GIVEN: app takes network's VpcId and is left for the next round.
    const deployment = unitDeploymentOf(JOB, { stacks: ['network', { stackName: 'app', parameterOutputs: { VpcId: 'network.VpcId' } }] });
    const network = memberDeployment(deployment, 0);
    const reviews: UnitReview[] = [{
      stackName: network.stackName,
      plan: 'NONE',
      stack: { exists: true, status: 'UPDATE_COMPLETE', next: 'CHANGE_SET', waitSeconds: 5, outputs: { VpcId: 'vpc-0abc' } },
    }];
    const unit: UnitState = {
      members: [{ stackName: network.stackName, status: 'WAITING', round: 1 }, { stackName: 'prod-app', status: 'WAITING' }],
      round: 1,
      review: [network],
      next: 'REVIEW',
    };

    // WHEN
    const judged = await runTaskAt(EXECUTION, 'judgeUnit', STATE_NAMES.judgeUnit, { deployment, unit, reviews } as WorkflowState).result as UnitState;
    const next = await planUnitRound({ deployment, unit: judged } as WorkflowState);

    // THEN
    expect(judged.members[0]).toMatchObject({ status: 'NO_CHANGES', outputs: { VpcId: 'vpc-0abc' } });
    expect(judged.next).toBe('REVIEW');
    expect(next.next).toBe('REVIEW');
    expect(next.review.map((d) => [d.stackName, d.parameterOverrides.VpcId])).toEqual([['prod-app', 'vpc-0abc']]);
  });
});
