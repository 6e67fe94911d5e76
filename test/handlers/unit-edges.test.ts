/**
 * A unit's tasks and configuration at their edges: the size limit itself, a stack that names itself, the shortest
 * approval timeout of a round, a cross-account unit on events, and which error the clean-up after an error reports
 * when several change sets cannot be deleted.
 */
import { InvalidChangeSetStatusException } from '@aws-sdk/client-cloudformation';
import { MAX_UNIT_STACKS, memberDeployment, toDeployment, validateConfig } from '../../src/shared/config';
import type { Deployment, InspectionResult, UnitReview, UnitState, WorkflowState } from '../../src/shared/contract';
import { STATE_NAMES } from '../../src/shared/state-names';
import { FakeExecutionHistory } from '../fakes';
import { STATE_MACHINE, executionOf, inspectionOf, reviewedUnit, runTaskAt, unitDeploymentOf, unitDeps } from './unit-support';
import type { UnitDeps } from './unit-support';

const JOB = '0f0e0d0c-0000-4000-8000-00000000bbbb';
const EXECUTION = executionOf(JOB);
const ROLE = 'arn:aws:iam::222222222222:role/deployer';
const inspection = inspectionOf;

function unitDeployment(params: Record<string, unknown>): Deployment {
  return unitDeploymentOf(JOB, params);
}

/** Runs a task as the execution's Task state `stateName` calls it with `state` (the caller check passes). */
function runAt(task: 'judgeUnit' | 'nextUnitStack' | 'deleteUnitChangeSets', stateName: string, state: WorkflowState, d?: UnitDeps) {
  return runTaskAt(EXECUTION, task, stateName, state, d);
}

describe('a unit\'s size and order', () => {
  const stacks = (n: number) => Array.from({ length: n }, (_, i) => `s${i + 1}`);

  test(`GIVEN exactly ${MAX_UNIT_STACKS} stacks (the most a unit holds) WHEN validated THEN the unit is accepted; one more is refused`, () => {
    expect(validateConfig({ v: 1, stacks: stacks(MAX_UNIT_STACKS) }).stacks).toHaveLength(MAX_UNIT_STACKS);
    expect(() => validateConfig({ v: 1, stacks: stacks(MAX_UNIT_STACKS + 1) })).toThrow(`"stacks" must be a list of 1 to ${MAX_UNIT_STACKS} stacks`);
  });

  test('GIVEN one stack WHEN validated THEN the unit is accepted (the least a unit holds)', () => {
    expect(validateConfig({ v: 1, stacks: ['only'] }).stacks).toEqual(['only']);
  });

  test.each([
    ['dependsOn', [{ stackName: 'a', dependsOn: ['a'] }], 'stacks[0]: dependsOn names "a", which is not an earlier stack of the unit'],
    ['dependsOn, a later stack', ['a', { stackName: 'b', dependsOn: ['a', 'b'] }], 'stacks[1]: dependsOn names "b", which is not an earlier stack of the unit'],
    ['parameterOutputs', ['a', { stackName: 'b', parameterOutputs: { P: 'b.Out' } }], 'stacks[1]: parameterOutputs.P names "b", which is not an earlier stack'],
  ])('GIVEN a stack that needs itself (%s) WHEN validated THEN it is refused: it could never be deployed after itself', (_what, unit, problem) => {
    expect(() => validateConfig({ v: 1, stacks: unit })).toThrow(problem);
  });
});

describe('a round that needs approval', () => {
  /** A judged round of three stacks: the reviews with the given inspections. */
  function judgedState(...inspections: InspectionResult[]): WorkflowState {
    const deployment = unitDeployment({ stacks: ['network', 'data', 'app'] });
    const review = deployment.unit!.map((_, i) => memberDeployment(deployment, i));
    const reviews: UnitReview[] = review.map((d, i) => ({
      stackName: d.stackName, plan: 'EXECUTE', changeSet: { name: d.changeSetName, type: 'UPDATE', outcome: 'READY', waitSeconds: 5 }, inspection: inspections[i],
    }));
    const unit: UnitState = { members: review.map((d) => ({ stackName: d.stackName, status: 'WAITING', round: 1 })), round: 1, review, next: 'REVIEW' };
    return { deployment, unit, reviews } as WorkflowState;
  }

  test('GIVEN two stacks that need approval with timeouts of 1 hour and 10 minutes WHEN the round is judged THEN a person has the shorter: 10 minutes', async () => {
    // GIVEN
    const state = judgedState(inspection('REQUIRE_APPROVAL', 3600), inspection('ALLOW'), inspection('REQUIRE_APPROVAL', 600));

    // WHEN
    const judged = await runAt('judgeUnit', STATE_NAMES.judgeUnit, state).result as UnitState;

    // THEN
    expect(judged).toMatchObject({ next: 'APPROVE', verdict: 'REQUIRE_APPROVAL', approvalTimeoutSeconds: 600 });
  });

  test('GIVEN the shorter timeout listed first WHEN the round is judged THEN it is still the shorter', async () => {
    const state = judgedState(inspection('REQUIRE_APPROVAL', 600), inspection('REQUIRE_APPROVAL', 7200), inspection('ALLOW'));
    const judged = await runAt('judgeUnit', STATE_NAMES.judgeUnit, state).result as UnitState;
    expect(judged.approvalTimeoutSeconds).toBe(600);
  });

  test('GIVEN one stack unsafe and one needing approval WHEN the round is judged THEN the unit is refused, nobody is asked', async () => {
    const state = judgedState(inspection('REQUIRE_APPROVAL', 600), inspection('DENY'), inspection('ALLOW'));
    const judged = await runAt('judgeUnit', STATE_NAMES.judgeUnit, state).result as UnitState;
    expect(judged).toMatchObject({ next: 'REFUSE', verdict: 'DENY' });
    expect(judged).not.toHaveProperty('approvalTimeoutSeconds');
  });
});

describe('a round judged safe goes straight on to its first stack', () => {
  /** A judged round of three stacks, each with the given plan (a ready change set judged safe, or no changes). */
  function judgedState(plans: Array<'EXECUTE' | 'NONE'>, params: Record<string, unknown> = {}): WorkflowState {
    const deployment = unitDeployment({ stacks: ['network', 'data', 'app'], ...params });
    const review = deployment.unit!.map((_, i) => memberDeployment(deployment, i)).slice(0, plans.length);
    const reviews: UnitReview[] = review.map((d, i) => (plans[i] === 'NONE' ? { stackName: d.stackName, plan: 'NONE' } : {
      stackName: d.stackName, plan: 'EXECUTE', changeSet: { name: d.changeSetName, type: 'UPDATE', outcome: 'READY', waitSeconds: 5 }, inspection: inspection('ALLOW'),
    }));
    const members = deployment.unit!.map((s, i) => ({ stackName: s.stackName, status: 'WAITING' as const, ...(i < plans.length ? { round: 1 } : {}) }));
    return { deployment, unit: { members, round: 1, review, next: 'REVIEW' }, reviews } as WorkflowState;
  }

  test('GIVEN a round whose change sets are all safe WHEN judged THEN the first stack is picked to execute, with its own review', async () => {
    // WHEN
    const judged = await runAt('judgeUnit', STATE_NAMES.judgeUnit, judgedState(['EXECUTE', 'EXECUTE', 'EXECUTE'])).result as UnitState;

    // THEN: the same pick Next Unit Stack makes after each stack; nothing else of the round has moved.
    expect(judged).toMatchObject({ next: 'EXECUTE', verdict: 'ALLOW', current: { index: 0, deployment: { stackName: 'prod-network' } } });
    expect(judged.current?.inspection?.verdict).toBe('ALLOW');
    expect(judged.current?.changeSet?.name).toBe(judged.review[0].changeSetName);
    expect(judged.members.map((m) => m.status)).toEqual(['REVIEWED', 'REVIEWED', 'REVIEWED']);
  });

  test('GIVEN a round where only the second stack has changes WHEN judged THEN the second stack is picked', async () => {
    const judged = await runAt('judgeUnit', STATE_NAMES.judgeUnit, judgedState(['NONE', 'EXECUTE', 'NONE'])).result as UnitState;
    expect(judged).toMatchObject({ next: 'EXECUTE', current: { index: 1, deployment: { stackName: 'prod-data' } } });
  });

  test('GIVEN a round of the whole unit with no changes at all WHEN judged THEN the unit is done and says every stack is up to date', async () => {
    const judged = await runAt('judgeUnit', STATE_NAMES.judgeUnit, judgedState(['NONE', 'NONE', 'NONE'])).result as UnitState;
    expect(judged).toMatchObject({ next: 'DONE', reason: 'Up to date: prod-network, prod-data, prod-app.' });
    expect(judged).not.toHaveProperty('current');
  });

  test('GIVEN a first round without changes and a stack left for the next round WHEN judged THEN the next round follows after the poll interval', async () => {
    const judged = await runAt('judgeUnit', STATE_NAMES.judgeUnit, judgedState(['NONE', 'NONE'])).result as UnitState;
    expect(judged.next).toBe('REVIEW');
    expect(judged.waitSeconds).toBeGreaterThan(0);
    expect(judged).not.toHaveProperty('current');
  });

  test('GIVEN the action\'s deadline passed while the round was reviewed WHEN judged THEN nothing is picked and the unit stops', async () => {
    const state = judgedState(['EXECUTE', 'EXECUTE', 'EXECUTE']);
    const late = { ...state, deployment: { ...state.deployment, deadline: Date.now() - 1000 } };
    const judged = await runAt('judgeUnit', STATE_NAMES.judgeUnit, late).result as UnitState;
    expect(judged.next).toBe('STOP');
    expect(judged.reason).toContain('before stack prod-network was deployed');
    expect(judged).not.toHaveProperty('current');
  });

  test.each([['REQUIRE_APPROVAL', 'APPROVE'], ['DENY', 'REFUSE']] as const)('GIVEN a round judged %s WHEN judged THEN no stack is picked', async (verdict, next) => {
    const state = judgedState(['EXECUTE', 'EXECUTE', 'EXECUTE']);
    const reviews = (state.reviews as UnitReview[]).map((r, i) => (i === 1 ? { ...r, inspection: inspection(verdict, 600) } : r));
    const judged = await runAt('judgeUnit', STATE_NAMES.judgeUnit, { ...state, reviews }).result as UnitState;
    expect(judged.next).toBe(next);
    expect(judged).not.toHaveProperty('current');
  });
});

describe('Next Unit Stack records only a stack whose operation ran', () => {
  test('GIVEN a picked stack without an operation (an execution of an older graph) WHEN the next stack is picked THEN it is an error, not a stack that failed', async () => {
    // GIVEN: a round judged safe whose first stack was picked, and no operation of it ran.
    const deployment = unitDeployment({ stacks: ['network', 'app'] });
    const reviewed = reviewedUnit(deployment, 'ALLOW');
    const unit: UnitState = { ...reviewed, current: { index: 0, deployment: reviewed.review[0], inspection: inspection('ALLOW') } };

    // WHEN / THEN: the error goes to the clean-up, which deletes the change sets not executed.
    await expect(runAt('nextUnitStack', STATE_NAMES.nextUnitStack, { deployment, unit }).result)
      .rejects.toThrow('stack prod-network was picked but no operation of it ran: nothing is deployed');
  });
});

describe('a cross-account deployment polls: another account\'s stack events never reach this account\'s rule', () => {
  test.each([
    ['one stack', { stackName: 'app', templatePath: 'app.json' }],
    ['a unit', { stacks: ['network', 'app'] }],
  ])('GIVEN %s whose UserParameters ask for stack events and name a role in another account WHEN turned into a deployment THEN it does not wait on events', (_what, params) => {
    const deployment = unitDeployment({ ...params, assumeRoleArn: ROLE, stackEvents: true });
    expect(deployment.stackEvents).toBe(false);
    for (const [i] of (deployment.unit ?? []).entries()) expect(memberDeployment(deployment, i).stackEvents).toBe(false);
    // The same deployment in the workflow's own account waits on events.
    expect(unitDeployment({ ...params, stackEvents: true }).stackEvents).toBe(true);
  });
});

describe('the clean-up after an error reports one error when several change sets cannot be deleted', () => {
  const refused = () => new InvalidChangeSetStatusException({ message: 'ChangeSet cannot be deleted in its current status', $metadata: {} });
  const denied = () => Object.assign(new Error('User is not authorized to perform: cloudformation:DeleteChangeSet on prod-network'), { name: 'AccessDenied' });

  /** A round of three stacks whose change sets the clean-up deletes after `error`; `failures` says which deletions fail how. */
  function cleanUp(failures: Record<string, () => Error>, beingCreated: string[] = []) {
    const deployment = unitDeployment({ stacks: ['network', 'data', 'app'] });
    const review = deployment.unit!.map((_, i) => ({ ...memberDeployment(deployment, i), changeSetName: `${deployment.changeSetName}-${i + 1}` }));
    const unit: UnitState = {
      members: review.map((d) => ({ stackName: d.stackName, status: 'REVIEWED', round: 1 })), round: 1, review, next: 'EXECUTE', verdict: 'ALLOW',
    };
    const state = { deployment, unit, error: { Error: 'AccessDenied', Cause: 'the original error' } } as WorkflowState;
    const history = new FakeExecutionHistory(STATE_MACHINE);
    const world = unitDeps(history);
    for (const d of review) {
      world.cfn.putStack(d.stackName, 'UPDATE_COMPLETE');
      world.cfn.putChangeSet(d.stackName, d.changeSetName, [], beingCreated.includes(d.stackName) ? 'CREATE_IN_PROGRESS' : 'CREATE_COMPLETE');
    }
    world.cfn.beforeCall = (op, input) => {
      if (op === 'DeleteChangeSet' && failures[input.StackName]) throw failures[input.StackName]();
    };
    const { result } = runAt('deleteUnitChangeSets', STATE_NAMES.cleanUpUnitAfterError, state, world);
    return { result, world, review };
  }

  test('GIVEN the first deletion is denied and a later change set is still being created WHEN the clean-up runs THEN it tries every ' +
    'change set and fails with ChangeSetBeingCreated, which the state machine retries, before the denial', async () => {
    // GIVEN
    const { result, world, review } = cleanUp({ 'prod-network': denied, 'prod-data': refused }, ['prod-data']);

    // WHEN / THEN
    await expect(result).rejects.toMatchObject({ name: 'ChangeSetBeingCreated' });
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.StackName)).toEqual(['prod-network', 'prod-data', 'prod-app']);
    expect(world.cfn.changeSet('prod-app', review[2].changeSetName)).toBeUndefined();
  });

  test('GIVEN two deletions that fail for good WHEN the clean-up runs THEN it tries every change set and reports the first failure', async () => {
    // GIVEN: network's deletion is denied, data's change set is refused (it is executing: no retry could change that).
    const { result, world, review } = cleanUp({ 'prod-network': denied, 'prod-data': refused });

    // WHEN / THEN
    await expect(result).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('cloudformation:DeleteChangeSet on prod-network') });
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.StackName)).toEqual(['prod-network', 'prod-data', 'prod-app']);
    expect(world.cfn.changeSet('prod-app', review[2].changeSetName)).toBeUndefined();
    expect(world.cfn.changeSet('prod-network', review[0].changeSetName)).toBeDefined();
  });
});

describe('a review of prepared change sets allows nothing that was not judged safe or approved', () => {
  test.each(['DENY', 'REQUIRE_APPROVAL'] as const)('GIVEN prepared change sets judged %s and no approval WHEN the next step is picked THEN nothing is allowed, ' +
    'and no change set is even read', async (verdict) => {
    // GIVEN
    const deployment = toDeployment(validateConfig({ v: 1, prepared: 'PipelineChange', stacks: ['Prod-Data', 'Prod-Topics'] }), { id: JOB, startedAt: Date.now() });
    const unit = reviewedUnit(deployment, verdict);

    // WHEN
    const { result, world } = runAt('nextUnitStack', STATE_NAMES.nextUnitStack, { deployment, unit });

    // THEN
    await expect(result).rejects.toThrow('refusing to allow the prepared change sets: the unit was neither judged safe nor approved');
    expect(world.cfn.callsOf('DescribeChangeSet')).toHaveLength(0);
  });
});
