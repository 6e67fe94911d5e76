/**
 * The unit's tasks and configuration on their own: nothing of a unit is deployed unless its round was judged safe or
 * approved, a change set is executed only from the unit's own execute state with its own state, and a unit's
 * configuration names its problems.
 */
import { memberDeployment, parseUserParameters, toDeployment, validateConfig } from '../../src/shared/config';
import type { Deployment, UnitState, WorkflowState } from '../../src/shared/contract';
import { STATE_NAMES, forUnitStack } from '../../src/shared/state-names';
import { outputVariables, runningSummary, successSummary } from '../../src/trigger/report';
import type { TaskDeps } from '../../src/workflow/tasks';
import { runTask } from '../../src/workflow/tasks';
import { progress } from '../../src/workflow/tasks/unit';
import { FakeCloudFormation, FakeExecutionHistory, REGION, FakeS3 } from '../fakes';

const JOB = '0f0e0d0c-0000-4000-8000-00000000aaaa';
const EXECUTION = 'arn:aws:states:eu-west-1:111111111111:execution:deploy:cp-0f0e0d0c-0000-4000-8000-00000000aaaa';

function unitDeployment(stacks: unknown[] = ['network', 'data', 'app']): Deployment {
  const config = validateConfig(parseUserParameters(JSON.stringify({ v: 1, environmentName: 'prod', stacks })));
  return toDeployment(config, { id: JOB, artifact: { bucket: 'b', key: 'k' }, startedAt: Date.now() });
}

function reviewedUnit(deployment: Deployment, verdict: UnitState['verdict']): UnitState {
  const review = deployment.unit!.map((_, i) => memberDeployment(deployment, i));
  return {
    members: review.map((d) => ({
      stackName: d.stackName,
      status: 'REVIEWED',
      round: 1,
      review: {
        stackName: d.stackName,
        plan: 'EXECUTE',
        changeSet: { name: d.changeSetName, type: 'UPDATE', outcome: 'READY', waitSeconds: 5 },
        inspection: { verdict: verdict ?? 'ALLOW', changeCount: 1, violationCount: 0, violations: [], reason: '', counts: { Modify: 1 }, nestedChangeSets: 0, changeSetId: '', digest: '' },
      },
    })),
    round: 1,
    review,
    next: 'EXECUTE',
    ...(verdict ? { verdict } : {}),
  };
}

/** The stack a unit deploys next, as the unit's execute state gives it to the task. */
function currentOf(unit: UnitState, i: number) {
  return { index: i, deployment: unit.review[i], changeSet: unit.members[i].review!.changeSet, inspection: unit.members[i].review!.inspection };
}

const STATE_MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:deploy';

function deps(history = new FakeExecutionHistory(STATE_MACHINE)): TaskDeps & { cfn: FakeCloudFormation } {
  const cfn = new FakeCloudFormation();
  return { cloudformation: cfn.client, s3: new FakeS3().client, sfn: history.client, region: REGION, cfn };
}

/** Picks the unit's next stack as the execution does, from its Next Unit Stack state (a task that may write checks its caller). */
function nextUnitStack(state: WorkflowState): Promise<unknown> {
  const history = new FakeExecutionHistory(STATE_MACHINE);
  history.current.set(EXECUTION, { executionArn: EXECUTION, name: STATE_NAMES.nextUnitStack, input: state });
  return runTask({ task: 'nextUnitStack', state, executionId: EXECUTION }, deps(history));
}

describe('the unit never deploys what was not allowed', () => {
  test.each(['DENY', 'REQUIRE_APPROVAL'] as const)('GIVEN a round judged %s and no approval WHEN the next stack is picked THEN nothing is picked', async (verdict) => {
    // GIVEN
    const deployment = unitDeployment();
    const state: WorkflowState = { deployment, unit: reviewedUnit(deployment, verdict) };

    // WHEN
    const picked = nextUnitStack(state);

    // THEN
    await expect(picked).rejects.toThrow('refusing to deploy stack prod-network: its unit was neither judged safe nor approved');
  });

  test('GIVEN a round that needed approval and was approved WHEN the next stack is picked THEN the first stack is picked with the approval', async () => {
    // GIVEN: the round needed approval for app only; network's own change set was safe.
    const deployment = unitDeployment();
    const reviewed = reviewedUnit(deployment, 'REQUIRE_APPROVAL');
    const members = reviewed.members.map((m, i) => (i === 2 ? m : { ...m, review: { ...m.review!, inspection: { ...m.review!.inspection!, verdict: 'ALLOW' as const } } }));
    const unit = { ...reviewed, members, approval: { approved: true, by: 'alice' } };

    // WHEN
    const first = await nextUnitStack({ deployment, unit }) as UnitState;
    const afterTwo = { ...unit, members: unit.members.map((m, i) => (i < 2 ? { ...m, status: 'UPDATED' as const } : m)) };
    const third = await nextUnitStack({ deployment, unit: afterTwo }) as UnitState;

    // THEN: every stack's own verdict stands; the approval travels only with the stack that needed it.
    expect(first.next).toBe('EXECUTE');
    expect(first.current?.deployment.stackName).toBe('prod-network');
    expect(first.current?.inspection?.verdict).toBe('ALLOW');
    expect(first.current).not.toHaveProperty('approval');
    expect(third.current?.deployment.stackName).toBe('prod-app');
    expect(third.current?.approval).toEqual({ approved: true, by: 'alice' });
  });

  test('GIVEN a call to execute a unit\'s change set from a state other than the unit\'s execute state WHEN run THEN nothing is executed', async () => {
    // GIVEN: the execution is at the single-stack execute state, someone hands the task a unit stack's state.
    const deployment = unitDeployment();
    const unit = reviewedUnit(deployment, 'ALLOW');
    const current = currentOf(unit, 0);
    const history = new FakeExecutionHistory(STATE_MACHINE);
    history.current.set(EXECUTION, {
      executionArn: EXECUTION, name: STATE_NAMES.executeChangeSet, input: { deployment, unit: { ...unit, current } },
    });
    const d = deps(history);

    // WHEN
    const result = runTask({ task: 'executeChangeSet', state: current, executionId: EXECUTION }, d);

    // THEN
    await expect(result).rejects.toMatchObject({ name: 'UnconfirmedDeployment' });
    expect(d.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });

  test('GIVEN the unit\'s execute state with another stack\'s state WHEN run THEN nothing is executed', async () => {
    // GIVEN: the execution is at the unit's execute state for network; the call claims app.
    const deployment = unitDeployment();
    const unit = reviewedUnit(deployment, 'ALLOW');
    const history = new FakeExecutionHistory(STATE_MACHINE);
    history.current.set(EXECUTION, {
      executionArn: EXECUTION,
      name: forUnitStack(STATE_NAMES.executeChangeSet),
      input: { deployment, unit: { ...unit, current: currentOf(unit, 0) } },
    });
    const d = deps(history);

    // WHEN
    const result = runTask({ task: 'executeChangeSet', state: currentOf(unit, 2), executionId: EXECUTION }, d);

    // THEN
    await expect(result).rejects.toMatchObject({ name: 'UnconfirmedDeployment' });
    expect(d.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });
});

describe('a unit\'s configuration', () => {
  test.each([
    [{ stacks: ['a'], stackName: 'b' }, '"stacks" replaces "stackName"'],
    [{ stacks: [] }, '"stacks" must be a list of 1 to 50 stacks'],
    [{ stacks: ['a', 'a'] }, 'stacks[1]: stack a is in the unit twice'],
    [{ stacks: [{ stackName: 'a', dependsOn: ['b'] }, 'b'] }, 'stacks[0]: dependsOn names "b", which is not an earlier stack of the unit'],
    [{ stacks: ['a', { stackName: 'b', parameterOutputs: { P: 'a' } }] }, 'stacks[1]: parameterOutputs.P is "a", not "<earlier stack>.<OutputKey>"'],
    [{ stacks: [{ stackName: 'b', parameterOutputs: { P: 'a.Out' } }, 'a'] }, 'stacks[0]: parameterOutputs.P names "a", which is not an earlier stack'],
    [{ stacks: ['a', { stackName: 'b', dependsOn: 'a' }] }, 'stacks[1]: dependsOn must be a list of stack names'],
    [{ stacks: [{ stackName: 'a', role: 'x' }] }, '"stacks"[0] has unknown keys "role"'],
    [{ stacks: ['a'], onUnsafe: { type: 'deployToNewStack' } }, 'cannot switch to new stacks'],
    [{ stacks: [42] }, '"stacks"[0] must be a stack name or an object with stackName'],
  ])('GIVEN %j WHEN validated THEN the problem is named', (params, problem) => {
    expect(() => validateConfig({ v: 1, ...params })).toThrow(problem);
  });

  test('GIVEN an S3 input file that sets stacks WHEN validated THEN it is refused: the stacks come from the action only', () => {
    expect(() => validateConfig({ v: 1, stacks: ['a'] }, { stacks: ['a', 'b'] })).toThrow('the S3 input file may not set "stacks"');
  });

  test.each(['templatePath', 'templateConfigurationPath', 'parameterOverrides', 'tags', 'capabilities'])('GIVEN an S3 input file that sets %s for a unit WHEN validated THEN it is refused: each stack\'s settings come from stacks', (key) => {
    const value = { templatePath: 'other.json', templateConfigurationPath: 'c.json', parameterOverrides: { P: 'x' }, tags: { t: 'x' }, capabilities: ['CAPABILITY_IAM'] }[key];
    expect(() => validateConfig({ v: 1, stacks: ['a'] }, { [key]: value })).toThrow(`"stacks" replaces "${key}"`);
    expect(validateConfig({ v: 1, stacks: ['a'] }, { pollIntervalSeconds: 10 }).pollIntervalSeconds).toBe(10);
  });

  test('GIVEN stacks given by name WHEN turned into a deployment THEN each has its CDK template file and the environment prefix', () => {
    const deployment = unitDeployment(['network', { stackName: 'app', templatePath: 'infra/app.json', dependsOn: ['network'] }]);
    expect(deployment.unit).toEqual([
      { stackName: 'prod-network', templatePath: 'network.template.json', parameterOverrides: {}, tags: {}, capabilities: [], dependsOn: [], parameterOutputs: {} },
      { stackName: 'prod-app', templatePath: 'infra/app.json', parameterOverrides: {}, tags: {}, capabilities: [], dependsOn: ['prod-network'], parameterOutputs: {} },
    ]);
    expect(deployment.stackName).toBe('prod-network');
  });
});

describe('what the pipeline shows for a unit', () => {
  const unitOutput = (names: string[]) => ({
    unit: {
      members: names.map((stackName, i) => ({
        stackName,
        status: i % 3 === 0 ? 'NO_CHANGES' as const : 'UPDATED' as const,
        outputs: { Endpoint: `https://${stackName}.example.com/${'x'.repeat(200)}` },
        review: {
          stackName,
          plan: 'EXECUTE' as const,
          inspection: { verdict: 'ALLOW' as const, changeCount: 3, violationCount: 0, violations: [], reason: '', counts: { Add: 1, Modify: 2 }, nestedChangeSets: 0, changeSetId: '', digest: '' },
        },
      })),
      round: 1,
      review: [],
      next: 'DONE' as const,
      verdict: 'ALLOW' as const,
      approval: { approved: true, by: 'alice', comment: 'c'.repeat(500) },
    },
  });
  const link = 'https://console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:111111111111:execution:x:y';
  // 20 stacks with names of 80 characters.
  const names = Array.from({ length: 20 }, (_, i) => `prod-${'service-with-a-long-name-'.repeat(3).slice(0, 72)}-${String(i).padStart(2, '0')}`);
  const output = unitOutput(names);

  test('GIVEN a unit of 20 stacks with names of 80 characters WHEN summarised THEN every stack is named, grouped by outcome, within 2,048 characters with the link', () => {
    const summary = successSummary(output, link);
    expect(summary.length).toBeLessThanOrEqual(2048);
    expect(summary.endsWith(link)).toBe(true);
    for (const name of names) expect(summary).toContain(name);
    expect(summary).toMatch(/^Deployed 20 stacks as one unit \(1 round\)\. Updated: /);
    expect(summary).toContain(`Up to date: ${names[0]}, ${names[3]}`);
  });

  test('GIVEN a unit whose stacks all had no changes WHEN summarised THEN it says nothing was deployed, not "Deployed"', () => {
    const upToDate = { unit: { ...unitOutput(['prod-a', 'prod-b']).unit, members: unitOutput(['prod-a', 'prod-b']).unit.members.map((m) => ({ ...m, status: 'NO_CHANGES' as const })) } };
    const summary = successSummary(upToDate, link);
    expect(summary).toMatch(/^Reviewed 2 stacks as one unit: nothing to deploy\. Up to date: prod-a, prod-b\./);
    expect(summary).not.toContain('Deployed');
  });

  test('GIVEN a review of one prepared change set without changes WHEN summarised THEN it says reviewed, with nothing to allow, never "Deployed 1 stacks"', () => {
    const reviewed = {
      deployment: { prepared: 'PipelineChange' } as unknown as Deployment,
      unit: { ...unitOutput(['Prod-Data']).unit, members: unitOutput(['Prod-Data']).unit.members.map((m) => ({ ...m, status: 'NO_CHANGES' as const })) },
    };
    const summary = successSummary(reviewed, link);
    expect(summary).toMatch(/^Reviewed the change sets the pipeline prepared for 1 stack: nothing to allow, no change set holds changes\./);
    expect(summary).not.toMatch(/Deployed|1 stacks/);
  });

  test('GIVEN a unit of 20 stacks with names of 128 characters WHEN summarised THEN as many as fit are named and the others counted, never a name cut in half', () => {
    const longNames = Array.from({ length: 20 }, (_, i) => `n${String(i).padStart(2, '0')}-${'x'.repeat(124)}`);
    const summary = successSummary(unitOutput(longNames), link);
    expect(summary.length).toBeLessThanOrEqual(2048);
    expect(summary.endsWith(link)).toBe(true);
    const named = longNames.filter((n) => summary.includes(n));
    expect(named.length).toBeGreaterThan(5);
    expect(summary).toContain(`... and ${20 - named.length} more (see the execution).`);
    // Every name in it is whole.
    expect((summary.match(/n\d\d-x+/g) ?? []).map((n) => n.length)).toEqual(named.map(() => 128));
  });

  test('GIVEN a unit of 20 stacks WHEN its output variables are made THEN each stack has its outcome and outputs, under valid names', () => {
    const variables = outputVariables(output);
    expect(variables.Outcome).toBe('DEPLOYED');
    expect(variables.Verdict).toBe('ALLOW');
    expect(variables.StackCount).toBe('20');
    expect(variables[`${names[1]}_Outcome`]).toBe('UPDATED');
    expect(variables[`${names[0]}_Endpoint`]).toContain('example.com');
    expect(Object.keys(variables).every((k) => /^[A-Za-z0-9@_-]{1,128}$/.test(k))).toBe(true);
  });

  test('GIVEN a unit waiting for a person WHEN the pipeline asks THEN the summary says a unit waits and nothing of the round runs before', () => {
    expect(runningSummary(STATE_NAMES.waitForUnitApproval)).toBe('Deployment of a unit of stacks waiting for a person\'s approval: ' +
      'nothing of the round is executed before it; see the message on the approval topic (cdk-sfn-deploy approve|reject).');
  });

  test('GIVEN stacks in each state WHEN the progress is told THEN every stack is named once under what happened to it', () => {
    expect(progress([
      { stackName: 'a', status: 'UPDATED' }, { stackName: 'b', status: 'CREATED' }, { stackName: 'c', status: 'NO_CHANGES' },
      { stackName: 'd', status: 'FAILED' }, { stackName: 'e', status: 'UNTOUCHED' }, { stackName: 'f', status: 'WAITING' },
    ])).toBe('Deployed: a, b. Up to date: c. Failed: d. Untouched: e, f.');
  });
});
