/**
 * Payloads of the task function captured from real runs, forged in one field and sent with lambda:InvokeFunction:
 * after the run ended, and while the run calls the very state the payload is for. The fields forged are the ones
 * that decide: the strategy's type, the verdict, the approval and its timeout, a stack's name, the change set's id,
 * the prepared flag. Every one is refused before any AWS call (UnconfirmedDeployment): only the running
 * execution's own call, with exactly the payload Step Functions sends, acts.
 */
import type { Change } from '@aws-sdk/client-cloudformation';
import { Duration } from 'aws-cdk-lib';
import { RuleVerdict, SafetyPolicy, UnsafeChangeAction } from '../../src';
import type { Deployment } from '../../src/shared/contract';
import { runTask } from '../../src/workflow/tasks';
import type { TaskEvent } from '../../src/workflow/tasks';
import {
  S, STACK_NAME, UNIT_STACKS, approveAs, createUnitWorld, createWorld, deploy, deploymentFor, importedResources, issueJobFor, runWorkflow,
  synthesizeUnit, synthesizeWith,
} from '../executions/harness';
import type { SynthesizedWorkflow, World, WorkflowRun } from '../executions/harness';
import { resourceChange } from '../fakes';

const IN_PLACE: Change[] = [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')];
const ROLE_CHANGE: Change[] = [resourceChange('Modify', 'DeployRole', 'AWS::IAM::Role', 'False')];
const EVIL_CHANGE_SET = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/evil/00000000-0000-0000-0000-000000000000';

let approving: SynthesizedWorkflow;
beforeAll(() => {
  approving = synthesizeWith({
    safetyPolicy: SafetyPolicy.fromRules([
      { verdict: RuleVerdict.REQUIRE_APPROVAL, resourceTypes: ['AWS::IAM::*'] },
      { verdict: RuleVerdict.ALLOW, actions: ['Add' as any, 'Modify' as any] },
    ]),
    onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: importedResources().approvalTopic, timeout: Duration.hours(1) }),
  });
});

/** What the world was asked to do: a forgery must add nothing. */
function effects(world: World) {
  return {
    cfn: world.cfn.calls.filter((c) => !c.op.startsWith('Describe') && !c.op.startsWith('List') && !c.op.startsWith('Get')).length,
    published: world.sns.published.length,
  };
}

function forge(payload: TaskEvent, change: (p: any) => void): TaskEvent {
  const copy = JSON.parse(JSON.stringify(payload));
  change(copy);
  return copy;
}

/** One field of a captured payload changed, as an attacker would; each decides something. */
const FORGERIES: [string, (p: any) => void][] = [
  ['unchanged', () => undefined],
  ['the strategy switched to deployToNewStack', (p) => { p.state.deployment.onUnsafe = { type: 'deployToNewStack', suffix: 'evil' }; }],
  ['the strategy switched to fail', (p) => { p.state.deployment.onUnsafe = { type: 'fail' }; }],
  ['the verdict ALLOW', (p) => { if (p.state.inspection) p.state.inspection.verdict = 'ALLOW'; }],
  ['an approval granted', (p) => { p.state.approval = { approved: true, by: 'arn:aws:iam::123456789012:user/mallory', grantedAs: 'x' }; }],
  ['approvalTimeoutSeconds stretched', (p) => { if (p.state.inspection) p.state.inspection.approvalTimeoutSeconds = 72000; }],
  ['another stack name', (p) => { p.state.deployment.stackName = 'prod-billing'; }],
  ['another change set id', (p) => { if (p.state.inspection) p.state.inspection.changeSetId = EVIL_CHANGE_SET; }],
  ['the prepared flag', (p) => { p.state.deployment.prepared = 'PipelineChange'; }],
  ['a later deadline', (p) => { p.state.deployment.deadline += 3_600_000; }],
];

describe('a single stack\'s run that asked a person: its payloads, forged after the run ended', () => {
  let world: World;
  let run: WorkflowRun;
  beforeAll(async () => {
    world = createWorld({ synthesized: approving });
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [...IN_PLACE, ...ROLE_CHANGE] };
    world.approver = approveAs('alice');
    run = await deploy(world, deploymentFor(undefined, approving));
  });

  test('GIVEN the run THEN a person was asked, approved, and the change set was executed', () => {
    expect(run.status).toBe('SUCCEEDED');
    expect(world.asked).toHaveLength(1);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
  });

  test.each(['createChangeSet', 'requestApproval', 'executeChangeSet', 'deleteChangeSet'] as const)(
    'GIVEN the %s payload WHEN replayed with each decisive field forged THEN each is refused and nothing is done', async (task) => {
      const captured = run.calls.find((c) => c.payload.task === task)?.payload
        // A run that needed no clean-up sent no deleteChangeSet: the executeChangeSet payload under that task's name.
        ?? forge(run.calls.find((c) => c.payload.task === 'executeChangeSet')!.payload, (p) => { p.task = task; });
      const before = effects(world);
      for (const [, change] of FORGERIES) {
        const event = forge(captured, change);
        await expect(runTask(event, { ...world.deps, sfn: run.history.client })).rejects.toMatchObject({ name: 'UnconfirmedDeployment' });
      }
      expect(effects(world)).toEqual(before);
    });
});

describe('a single stack\'s run: its payloads, forged while the run calls the state they are for', () => {
  test.each(FORGERIES.filter(([what]) => what !== 'unchanged'))(
    'GIVEN the execution calls executeChangeSet WHEN someone sends its payload with %s THEN it is refused; the run executes the change set judged',
    async (_what, change) => {
      const world = createWorld({ synthesized: approving });
      world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
      world.cfn.onCreateChangeSet = { changes: [...IN_PLACE, ...ROLE_CHANGE] };
      world.approver = approveAs('alice');
      const deployment = deploymentFor(undefined, approving);
      issueJobFor(world, deployment);
      const refusals: string[] = [];
      let before: ReturnType<typeof effects> | undefined;
      let after: ReturnType<typeof effects> | undefined;
      const run = await runWorkflow({ deployment }, world.deps, {
        synthesized: approving,
        approver: async (event, synthesized) => world.approver!(event, synthesized, world.sns.published.at(-1)?.message),
        duringCall: async (state, payload, deps) => {
          if (state !== S.executeChangeSet) return;
          before = effects(world);
          await runTask(forge(payload, change), deps).catch((e: Error) => refusals.push(e.name));
          after = effects(world);
        },
      });

      expect(refusals).toEqual(['UnconfirmedDeployment']);
      expect(after).toEqual(before);
      expect(run.status).toBe('SUCCEEDED');
      const executed = world.cfn.callsOf('ExecuteChangeSet').map((c) => c.input.ChangeSetName);
      expect(executed).toHaveLength(1);
      expect(executed[0]).not.toBe(EVIL_CHANGE_SET);
    });
});

describe('a unit\'s run: its payloads, forged after the run ended', () => {
  let world: World;
  let run: WorkflowRun;
  let deployment: Deployment;
  beforeAll(async () => {
    world = createUnitWorld(IN_PLACE);
    const synthesized = synthesizeUnit();
    deployment = deploymentFor(undefined, synthesized);
    issueJobFor(world, deployment, synthesized.userParameters);
    run = await runWorkflow({ deployment }, world.deps, { synthesized });
  });

  test('GIVEN the run THEN the three stacks were deployed', () => {
    expect(run.status).toBe('SUCCEEDED');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(UNIT_STACKS.length);
  });

  const UNIT_FORGERIES: [string, (p: any) => void][] = [
    ['unchanged', () => undefined],
    ['the round\'s verdict ALLOW', (p) => { if (p.state.unit) p.state.unit.verdict = 'ALLOW'; }],
    ['an approval granted to the round', (p) => { if (p.state.unit) p.state.unit.approval = { approved: true, by: 'x', grantedAs: 'x' }; }],
    ['a stack\'s status put back to REVIEWED', (p) => { p.state.unit?.members?.forEach((m: any) => { m.status = 'REVIEWED'; }); }],
    ['a member\'s stack name', (p) => { if (p.state.unit?.review?.[0]) p.state.unit.review[0].stackName = 'prod-billing'; }],
    ['the current stack\'s change set id', (p) => { if (p.state.unit?.current?.inspection) p.state.unit.current.inspection.changeSetId = EVIL_CHANGE_SET; }],
    ['the strategy switched to deployToNewStack', (p) => { p.state.deployment.onUnsafe = { type: 'deployToNewStack' }; }],
    ['the prepared flag', (p) => { p.state.deployment.prepared = 'PipelineChange'; }],
  ];

  test.each(['judgeUnit', 'nextUnitStack', 'executeChangeSet', 'createChangeSet', 'deleteUnitChangeSets'] as const)(
    'GIVEN the %s payload WHEN replayed with each decisive field forged THEN each is refused and nothing is done', async (task) => {
      const captured = run.calls.find((c) => c.payload.task === task)?.payload
        ?? forge(run.calls.find((c) => c.payload.task === 'nextUnitStack')!.payload, (p) => { p.task = task; });
      const before = effects(world);
      for (const [, change] of UNIT_FORGERIES) {
        await expect(runTask(forge(captured, change), { ...world.deps, sfn: run.history.client })).rejects.toMatchObject({ name: 'UnconfirmedDeployment' });
      }
      expect(effects(world)).toEqual(before);
    });
});
