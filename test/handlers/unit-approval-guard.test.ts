/**
 * A round that needed approval is deployed only on an approval that says approved: an answer that reached the
 * state without it (`approved: false`, or no `approved` at all: not the approval function's) deploys nothing and
 * allows no prepared change set. The state machine sends only approvals here; this is the defence behind it.
 */
import { executionOf, reviewedUnit, runTaskAt, unitDeploymentOf } from './unit-support';
import { toDeployment, validateConfig } from '../../src/shared/config';
import type { UnitState, WorkflowState } from '../../src/shared/contract';
import { STATE_NAMES } from '../../src/shared/state-names';

const JOB = '0f0e0d0c-0000-4000-8000-00000000eeee';
const EXECUTION = executionOf(JOB);

const NOT_APPROVED = [
  ['approved: false', { approved: false, by: 'mallory' }],
  ['no approved field', { by: 'mallory' }],
] as const;

function nextUnitStack(state: WorkflowState) {
  return runTaskAt(EXECUTION, 'nextUnitStack', STATE_NAMES.nextUnitStack, state);
}

describe('GIVEN a round that needed approval', () => {
  const deployment = unitDeploymentOf(JOB, { stacks: ['network', 'app'] });

  test.each(NOT_APPROVED)('WHEN the answer in the state has %s THEN no stack is picked', async (_what, approval) => {
    const unit = { ...reviewedUnit(deployment, 'REQUIRE_APPROVAL'), approval } as unknown as UnitState;
    await expect(nextUnitStack({ deployment, unit }).result).rejects.toThrow('refusing to deploy stack prod-network: its unit was neither judged safe nor approved');
  });

  test('WHEN the answer says approved THEN the first stack is picked (the contrast)', async () => {
    const unit = { ...reviewedUnit(deployment, 'REQUIRE_APPROVAL'), approval: { approved: true, by: 'alice' } } as UnitState;
    const picked = await nextUnitStack({ deployment, unit }).result as UnitState;
    expect(picked).toMatchObject({ next: 'EXECUTE', current: { index: 0 } });
  });
});

describe('GIVEN prepared change sets that needed approval', () => {
  const deployment = toDeployment(validateConfig({ v: 1, prepared: 'PipelineChange', stacks: ['Prod-Data', 'Prod-Topics'] }), { id: JOB, startedAt: Date.now() });

  test.each(NOT_APPROVED)('WHEN the answer in the state has %s THEN nothing is allowed and no change set is read', async (_what, approval) => {
    const unit = { ...reviewedUnit(deployment, 'REQUIRE_APPROVAL'), approval } as unknown as UnitState;
    const { result, world } = nextUnitStack({ deployment, unit });
    await expect(result).rejects.toThrow('refusing to allow the prepared change sets: the unit was neither judged safe nor approved');
    expect(world.cfn.callsOf('DescribeChangeSet')).toHaveLength(0);
  });
});
