/**
 * Several stacks reviewed as one unit: every change set is created and judged before any is executed; a refused
 * unit executes nothing; an allowed one executes in order and stops at the first failure; stacks that need an
 * earlier one deployed are reviewed in a later wave.
 */
import { ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { Duration } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { awsError, nestedChangeSetArn, nestedStackChange, resourceChange } from '../fakes';
import {
  S, UNIT_ACTION, UNIT_FILES, UNIT_STACKS, approveAs, approverSession, causeMessage, createUnitWorld, createWorld, deploy, deploymentFor,
  importedResources, issueJobFor, largeTemplate, namedError, runWorkflow, synthesizeUnit, synthesizeWorkflow,
} from './harness';
import type { SynthesizedWorkflow, World } from './harness';
import { ChangeAction, RuleVerdict, SafetyPolicy, UnsafeChangeAction } from '../../src';
import type { Deployment } from '../../src/shared/contract';
import { APPROVAL_REJECTED } from '../../src/shared/contract';
import { forUnitStack } from '../../src/shared/state-names';
import { changeReport, reportMarkdown } from '../../src/trigger/change-report';
import { outputVariables, successSummary } from '../../src/trigger/report';
import type { TaskEvent } from '../../src/workflow/tasks';

const [NETWORK, DATA, APP] = UNIT_STACKS;

const NEW_EXPORT = 'The following resource(s) failed to create: []. No export named prod-network-VpcId found. Rollback requested by user.';
const SAFE = [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False'), resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm')];
const REMOVES_TABLE = [resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm'), resourceChange('Remove', 'Table', 'AWS::DynamoDB::Table')];

/** The unit's three stacks exist, each with a safe change set unless a test says otherwise. */
function unitWorld(): World {
  return createUnitWorld(SAFE);
}

async function deployUnit(world: World, synthesized = synthesizeUnit(), approver?: (event: TaskEvent) => Promise<unknown>) {
  const deployment: Deployment = deploymentFor(undefined, synthesized);
  issueJobFor(world, deployment, synthesized.userParameters);
  const run = await runWorkflow({ deployment }, world.deps, { synthesized, ...(approver ? { approver } : {}) });
  return { run, deployment };
}

/** The stack each ExecuteChangeSet or CreateStack call was for, in order. */
function deployedInOrder(world: World): string[] {
  return world.cfn.calls.filter((c) => (c.op === 'ExecuteChangeSet' || c.op === 'CreateStack') && !c.error).map((c) => c.input.StackName);
}

describe('what runs is what was judged, in a unit', () => {
  test('GIVEN the third stack\'s change set is replaced under its name while the first stack deploys WHEN the unit goes on ' +
    'THEN the substitute is not executed: the unit stops with ChangeSetChanged and nothing is left of it', async () => {
    // GIVEN: once the network stack's change set is executed, someone swaps the app stack's for one removing a table.
    const world = unitWorld();
    let substitute: { executed: boolean } | undefined;
    let appChangeSet = '';
    world.cfn.beforeCall = (op, input) => {
      if (op === 'ExecuteChangeSet' && input.StackName === NETWORK && !substitute) {
        appChangeSet = [...world.cfn.changeSets.values()].find((cs) => cs.stackName === APP)!.name;
        substitute = world.cfn.putChangeSet(APP, appChangeSet, REMOVES_TABLE);
      }
    };

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ChangeSetChanged');
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA]);
    expect(substitute?.executed).toBe(false);
    expect(world.cfn.changeSet(APP, appChangeSet)).toBeUndefined();
    expect(run.cause).toContain(`change set ${appChangeSet} of stack ${APP}`);
    expect(run.cause).toContain(`Deployed: ${NETWORK}, ${DATA}.`);
  });
});

describe('a unit whose last stack has a destructive change', () => {
  test('GIVEN three stacks where the third removes a table WHEN deployed THEN nothing is executed, every change set is deleted and the cause names the change', async () => {
    // GIVEN
    const world = unitWorld();
    world.cfn.scripts.set(APP, { changeSet: { changes: REMOVES_TABLE } });

    // WHEN
    const { run, deployment } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnsafeChangeSet');
    expect(run.cause).toContain(`Change set ${deployment.changeSetName}-3 for stack ${APP} is refused`);
    expect(run.cause).not.toContain(`for stack ${NETWORK}`);
    expect(run.cause).toContain('Table (AWS::DynamoDB::Table): Remove');
    expect(run.cause).toContain(`Untouched: ${NETWORK}, ${DATA}, ${APP}.`);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    // Every change set was created and inspected before the verdict, and every one was deleted.
    expect(world.cfn.callsOf('CreateChangeSet').map((c) => c.input.StackName).sort()).toEqual([APP, DATA, NETWORK]);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.StackName).sort()).toEqual([APP, DATA, NETWORK]);
    expect([...world.cfn.changeSets.keys()]).toEqual([]);
    expect(run.path).toContain(S.reviewUnitStacks);
    expect(run.visits(forUnitStack(S.inspectChangeSet))).toBe(3);
    expect(run.path.slice(-2)).toEqual([S.deleteRefusedUnitChangeSets, S.unitRejected]);
  });
});

describe('an allowed unit', () => {
  test('GIVEN three stacks with safe changes WHEN deployed THEN they execute in the order given, each after the previous finished', async () => {
    // GIVEN: the first update takes several polls.
    const world = unitWorld();
    world.cfn.scripts.set(NETWORK, { changeSet: { changes: SAFE }, execute: { inProgressPolls: 3 } });

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA, APP]);
    // The data stack was executed only after the network stack was seen UPDATE_COMPLETE.
    const calls = world.cfn.calls;
    const networkExecuted = calls.findIndex((c) => c.op === 'ExecuteChangeSet' && c.input.StackName === NETWORK);
    const dataExecuted = calls.findIndex((c) => c.op === 'ExecuteChangeSet' && c.input.StackName === DATA);
    const networkDone = calls.findIndex((c, i) => i > networkExecuted && c.op === 'DescribeStacks' && c.input.StackName === NETWORK && c.status === 'UPDATE_COMPLETE');
    expect(networkExecuted).toBeGreaterThan(0);
    expect(networkDone).toBeGreaterThan(networkExecuted);
    expect(dataExecuted).toBeGreaterThan(networkDone);
    expect(calls.filter((c, i) => i > networkExecuted && i < networkDone && c.op === 'DescribeStacks').map((c) => c.status))
      .toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS']);
    // No change set was executed before all three were inspected (each is described again right before its own execution).
    const lastInspection = Math.max(...[NETWORK, DATA, APP].map((name) =>
      world.cfn.calls.findIndex((c) => c.op === 'DescribeChangeSet' && c.input.StackName === name && c.status === 'CREATE_COMPLETE')));
    expect(lastInspection).toBeLessThan(world.cfn.calls.findIndex((c) => c.op === 'ExecuteChangeSet'));
    expect(run.output.unit.members.map((m: any) => [m.stackName, m.status])).toEqual([[NETWORK, 'UPDATED'], [DATA, 'UPDATED'], [APP, 'UPDATED']]);
    // Each stack's change set has a name of its own.
    expect(new Set(world.cfn.callsOf('CreateChangeSet').map((c) => c.input.ChangeSetName)).size).toBe(3);
    expect(run.path[run.path.length - 1]).toBe(S.deploymentSucceeded);
  });

  test('GIVEN a new stack, a stack without changes and a stack that is busy WHEN deployed THEN the new one is created, the unchanged one left, the busy one waited for', async () => {
    // GIVEN
    const world = createWorld({ files: UNIT_FILES });
    world.cfn.putStack(DATA, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(DATA, { changeSet: { failedReason: 'The submitted information didn\'t contain changes. Submit different information to create a change set.' } });
    world.cfn.putStack(APP, 'UPDATE_IN_PROGRESS', { upcoming: ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'] });
    world.cfn.scripts.set(APP, { changeSet: { changes: SAFE } });

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(deployedInOrder(world)).toEqual([NETWORK, APP]);
    expect(world.cfn.callsOf('CreateStack')[0].input.StackName).toBe(NETWORK);
    expect(run.visits(forUnitStack(S.waitForOtherDeployment))).toBeGreaterThan(0);
    expect(run.output.unit.members.map((m: any) => m.status)).toEqual(['CREATED', 'NO_CHANGES', 'UPDATED']);
    expect([...world.cfn.changeSets.values()].filter((cs) => !cs.executed)).toEqual([]);
  });

  test('GIVEN a stack whose update fails WHEN the unit deploys THEN the later stacks are not executed, their change sets are deleted, and the cause says what happened to each', async () => {
    // GIVEN
    const world = unitWorld();
    world.cfn.scripts.set(DATA, {
      changeSet: { changes: SAFE },
      execute: { failure: { logicalId: 'Queue', resourceType: 'AWS::SQS::Queue', reason: 'Queue name already taken' } },
    });

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnitStackFailed');
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA]);
    expect(run.cause).toContain(`Stack ${DATA} failed: Stack ${DATA} ended UPDATE_ROLLBACK_COMPLETE`);
    expect(run.cause).toContain('Queue name already taken');
    expect(run.cause).toContain(`Deployed: ${NETWORK}. Failed: ${DATA}. Untouched: ${APP}.`);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.StackName)).toEqual([APP]);
    expect(world.cfn.changeSet(APP, world.cfn.callsOf('CreateChangeSet')[0].input.ChangeSetName)).toBeUndefined();
  });
});

describe('one approval for the unit', () => {
  let approvalWorkflow: SynthesizedWorkflow;
  beforeAll(() => {
    approvalWorkflow = synthesizeWorkflow({
      ...UNIT_ACTION,
      safetyPolicy: SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }),
      onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: importedResources().approvalTopic, timeout: Duration.hours(1) }),
    });
  });

  function approvalWorld(): World {
    const world = createWorld({ synthesized: approvalWorkflow, files: UNIT_FILES });
    for (const name of [NETWORK, DATA, APP]) {
      world.cfn.putStack(name, 'UPDATE_COMPLETE');
      world.cfn.scripts.set(name, { changeSet: { changes: SAFE } });
    }
    world.cfn.scripts.set(DATA, { changeSet: { changes: [resourceChange('Remove', 'Bucket', 'AWS::S3::Bucket')] } });
    world.cfn.scripts.set(APP, { changeSet: { changes: REMOVES_TABLE } });
    return world;
  }

  test('GIVEN two stacks with changes that need approval WHEN a person approves once THEN every stack executes in order', async () => {
    // GIVEN
    const world = approvalWorld();
    world.approver = approveAs('alice', 'release 42');

    // WHEN
    const result = await deploy(world);

    // THEN: one question, naming both stacks' changes and the stack that needs none.
    expect(result.status).toBe('SUCCEEDED');
    expect(world.asked).toHaveLength(1);
    const message = world.sns.published[0].message;
    expect(message).toContain('The deployment of 3 stacks as one unit');
    expect(message).toContain(`Stack ${DATA}:`);
    expect(message).toContain('Bucket (AWS::S3::Bucket): Remove');
    expect(message).toContain(`Stack ${APP}:`);
    expect(message).toContain('Table (AWS::DynamoDB::Table): Remove');
    expect(message).toContain(`need no approval: ${NETWORK} (safe changes)`);
    expect(world.sns.published[0].subject).toBe('Approval needed: deployment of 3 stacks as one unit');
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA, APP]);
    // The approver as AWS authenticated them (a session of the approvers' role), not a name they typed.
    expect(result.output.unit.approval).toMatchObject({ approved: true, by: approverSession('alice') });
  });

  test('GIVEN a second wave that needs approval too WHEN each wave is approved THEN the person is asked once per wave and both decisions are kept', async () => {
    // GIVEN: data's bucket removal is in wave 1; app waits for network's export, then removes a table in wave 2.
    const world = approvalWorld();
    world.cfn.scripts.set(APP, {
      changeSet: (name) => (name.endsWith('-w2') ? { changes: REMOVES_TABLE } : { failedReason: 'No export named prod-network-VpcId found.' }),
    });
    let asked = 0;
    world.approver = async () => ({ approved: true, by: ++asked === 1 ? 'alice' : 'bob' });

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(world.asked).toHaveLength(2);
    expect(world.sns.published[0].message).toContain('waits for a decision on round 1');
    expect(world.sns.published[1].message).toContain('waits for a decision on round 2');
    expect(world.sns.published[1].message).toContain(`Stack ${APP}:`);
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA, APP]);
    expect(result.output.unit.approvals).toEqual([{ approved: true, by: 'alice' }]);
    expect(result.output.unit.approval).toEqual({ approved: true, by: 'bob' });
    const summary = successSummary(result.output, 'link');
    expect(summary).toContain('Approved by alice. Approved by bob.');
    expect(outputVariables(result.output).Verdict).toBe('APPROVED');
  });

  test('GIVEN a second wave that needs approval too WHEN someone answers wave 1\'s message while the execution waits on wave 2 THEN ' +
    'nothing is decided (the digest names wave 1); wave 2 is decided only from its own message', async () => {
    // GIVEN
    const world = approvalWorld();
    world.cfn.scripts.set(APP, {
      changeSet: (name) => (name.endsWith('-w2') ? { changes: REMOVES_TABLE } : { failedReason: 'No export named prod-network-VpcId found.' }),
    });
    const messages: string[] = [];
    let late: Error | undefined;
    world.approver = async (event, synthesized, message) => {
      messages.push(message!);
      if (messages.length === 1) return approveAs('alice')(event, synthesized, message);
      // WHEN: bob answers the message of wave 1 (he never saw wave 2's), then carol answers wave 2's.
      late = await approveAs('bob')(event, synthesized, messages[0]).then(() => undefined, (e: Error) => e);
      return approveAs('carol')(event, synthesized, message);
    };

    // WHEN
    const result = await deploy(world);

    // THEN
    const shown = messages.map((m) => /^Approve digest: ([0-9a-f]{12})$/m.exec(m)?.[1]);
    expect(shown).toEqual([expect.stringMatching(/^[0-9a-f]{12}$/), expect.stringMatching(/^[0-9a-f]{12}$/)]);
    expect(shown[0]).not.toBe(shown[1]);
    expect(late?.message).toContain(`now waits on another round than the one of digest ${shown[0]}: nothing is sent`);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.unit.approvals).toEqual([expect.objectContaining({ approved: true, by: approverSession('alice') })]);
    expect(result.output.unit.approval).toEqual(expect.objectContaining({ approved: true, by: approverSession('carol') }));
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA, APP]);
  });

  test('GIVEN a wave with a change that needs approval and one the policy denies WHEN judged THEN the unit is refused without asking anyone', async () => {
    // GIVEN: tables may never be removed; other removals need a person.
    const mixed = synthesizeWorkflow({
      ...UNIT_ACTION,
      safetyPolicy: SafetyPolicy.fromRules([
        { verdict: RuleVerdict.DENY, actions: [ChangeAction.REMOVE], resourceTypes: ['AWS::DynamoDB::Table'] },
        { verdict: RuleVerdict.REQUIRE_APPROVAL, actions: [ChangeAction.REMOVE] },
        { verdict: RuleVerdict.ALLOW, actions: [ChangeAction.ADD, ChangeAction.MODIFY] },
      ]),
      onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: importedResources().approvalTopic, timeout: Duration.hours(1) }),
    });
    const world = createWorld({ synthesized: mixed, files: UNIT_FILES });
    for (const name of [NETWORK, DATA, APP]) world.cfn.putStack(name, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(NETWORK, { changeSet: { changes: SAFE } });
    world.cfn.scripts.set(DATA, { changeSet: { changes: [resourceChange('Remove', 'Bucket', 'AWS::S3::Bucket')] } });
    world.cfn.scripts.set(APP, { changeSet: { changes: REMOVES_TABLE } });

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UnsafeChangeSet');
    expect(world.asked).toHaveLength(0);
    expect(result.cause).toContain('Table (AWS::DynamoDB::Table): Remove');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect([...world.cfn.changeSets.keys()]).toEqual([]);
  });

  test('GIVEN changes that need approval WHEN the person rejects THEN nothing is executed and every change set is deleted', async () => {
    // GIVEN
    const world = approvalWorld();
    world.approver = async () => { throw namedError(APPROVAL_REJECTED, 'not during the freeze'); };

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(APPROVAL_REJECTED);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.StackName).sort()).toEqual([APP, DATA, NETWORK]);
    expect(result.path.slice(-2)).toEqual([S.deleteRejectedUnitChangeSets, S.unitRejectedByApprover]);
  });

  test('GIVEN a second wave WHEN the person rejects it THEN the cause gives their reason and says the first wave stays deployed', async () => {
    // GIVEN: network and data (bucket removal, approved) are wave 1; app's table removal is wave 2.
    const world = approvalWorld();
    world.cfn.scripts.set(APP, {
      changeSet: (name) => (name.endsWith('-w2') ? { changes: REMOVES_TABLE } : { failedReason: 'No export named prod-network-VpcId found.' }),
    });
    let asked = 0;
    world.approver = async () => {
      if (++asked === 1) return { approved: true, by: 'alice' };
      throw namedError(APPROVAL_REJECTED, 'not during the freeze');
    };

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(APPROVAL_REJECTED);
    expect(result.cause).toContain('The round was rejected: not during the freeze.');
    expect(result.cause).toContain(`Deployed: ${NETWORK}, ${DATA}. Untouched: ${APP}.`);
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA]);
    expect([...world.cfn.changeSets.values()].filter((cs) => !cs.executed)).toEqual([]);
  });

  test('GIVEN changes that need approval WHEN nobody decides in time THEN nothing is executed and every change set is deleted', async () => {
    // GIVEN
    const world = approvalWorld();
    world.approver = async () => { throw namedError('States.Timeout', 'no decision'); };

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(result.error).toBe('ApprovalTimedOut');
    expect(result.cause).toContain('Nobody decided within the approval timeout: the round\'s change sets were deleted and not executed.');
    expect(result.cause).toContain(`Untouched: ${NETWORK}, ${DATA}, ${APP}.`);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(3);
  });
});

describe('waves: stacks that need an earlier stack deployed first', () => {

  test('GIVEN a stack whose change set fails because it imports an export a new stack of the unit creates WHEN deployed THEN it is reviewed in a second wave, after that stack, and deployed', async () => {
    // GIVEN: network is new; app's first change set fails for the missing export, the second (after network) is fine.
    const world = createWorld({ files: UNIT_FILES });
    world.cfn.putStack(DATA, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(DATA, { changeSet: { changes: SAFE } });
    world.cfn.putStack(APP, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(APP, {
      changeSet: (name) => (name.endsWith('-w2') ? { changes: SAFE } : { failedReason: NEW_EXPORT }),
    });

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA, APP]);
    expect(run.visits(S.planUnitRound)).toBe(2);
    const appChangeSets = world.cfn.callsOf('CreateChangeSet').filter((c) => c.input.StackName === APP).map((c) => c.input.ChangeSetName);
    expect(appChangeSets).toHaveLength(2);
    expect(appChangeSets[1]).toBe(`${appChangeSets[0]}-w2`);
    // The second review of app came after network was created.
    const created = world.cfn.calls.findIndex((c) => c.op === 'CreateStack' && c.input.StackName === NETWORK);
    const secondReview = world.cfn.calls.findIndex((c) => c.op === 'CreateChangeSet' && c.input.ChangeSetName === appChangeSets[1]);
    expect(secondReview).toBeGreaterThan(created);
    expect(run.output.unit.members.map((m: any) => [m.status, m.round])).toEqual([['CREATED', 1], ['UPDATED', 1], ['UPDATED', 2]]);
  });

  test('GIVEN a stack cut from the wave whose review ended on an error WHEN the unit is later refused THEN no change set of it is left', async () => {
    // GIVEN: data waits for network's export; app's review fails after its change set was created; wave 2 is refused.
    const world = unitWorld();
    world.cfn.scripts.set(DATA, {
      changeSet: (name) => (name.endsWith('-w2') ? { changes: REMOVES_TABLE } : { failedReason: NEW_EXPORT }),
    });
    world.cfn.beforeCall = (op, input) => {
      // By name or by id (`arn:...:changeSet/<name>/<id>`), as the workflow reads it once it knows the id.
      if (op === 'DescribeChangeSet' && input.StackName === APP && !/-w2(\/|$)/.test(String(input.ChangeSetName))) {
        throw awsError('AccessDenied', 'not allowed to read this change set');
      }
    };

    // WHEN
    const { run } = await deployUnit(world);

    // THEN: app's first change set was deleted with the cut; nothing of wave 2 was executed.
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnsafeChangeSet');
    expect(deployedInOrder(world)).toEqual([NETWORK]);
    expect([...world.cfn.changeSets.values()].filter((cs) => !cs.executed)).toEqual([]);
  });

  test('GIVEN a missing export and no earlier stack of the wave to deploy WHEN deployed THEN the unit fails with CloudFormation\'s reason and executes nothing', async () => {
    // GIVEN: network and data have no changes, so nothing deployed first could create the export.
    const world = unitWorld();
    const noChanges = { failedReason: 'The submitted information didn\'t contain changes. Submit different information to create a change set.' };
    world.cfn.scripts.set(NETWORK, { changeSet: noChanges });
    world.cfn.scripts.set(DATA, { changeSet: noChanges });
    world.cfn.scripts.set(APP, { changeSet: { failedReason: NEW_EXPORT } });

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnitReviewFailed');
    expect(run.cause).toContain('No export named prod-network-VpcId found');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });

  describe('parameters from an earlier stack\'s outputs', () => {
    let outputsWorkflow: SynthesizedWorkflow;
    beforeAll(() => {
      outputsWorkflow = synthesizeWorkflow({
        environmentName: 'prod',
        stacks: [
          { stackName: 'network', templatePath: 'network.template.json' },
          { stackName: 'app', templatePath: 'app.template.json', parameterOutputs: { VpcId: 'network.VpcId' }, parameterOverrides: { Size: 'small' } },
        ],
      });
    });

    test('GIVEN a new stack whose parameter is an output of the new stack before it WHEN deployed THEN it is reviewed in a second wave with that output', async () => {
      // GIVEN
      const world = createWorld({ files: UNIT_FILES });
      world.cfn.scripts.set(NETWORK, { create: { outputs: { VpcId: 'vpc-0abc' } } });

      // WHEN
      const { run } = await deployUnit(world, outputsWorkflow);

      // THEN
      expect(run.status).toBe('SUCCEEDED');
      expect(deployedInOrder(world)).toEqual([NETWORK, APP]);
      const appCreated = world.cfn.callsOf('CreateStack').find((c) => c.input.StackName === APP);
      expect(appCreated?.input.Parameters).toEqual(expect.arrayContaining([
        { ParameterKey: 'VpcId', ParameterValue: 'vpc-0abc' }, { ParameterKey: 'Size', ParameterValue: 'small' },
      ]));
      expect(run.output.unit.round).toBe(2);
    });

    test('GIVEN the earlier stack has no such output WHEN deployed THEN the unit fails naming the output, after deploying only the earlier stack', async () => {
      // GIVEN
      const world = createWorld({ files: UNIT_FILES });

      // WHEN
      const { run } = await deployUnit(world, outputsWorkflow);

      // THEN
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('UnitReviewFailed');
      expect(run.cause).toContain(`${APP} needs output VpcId of ${NETWORK} (parameter VpcId), which ${NETWORK} does not have`);
      expect(run.cause).toContain(`Deployed: ${NETWORK}.`);
      expect(deployedInOrder(world)).toEqual([NETWORK]);
    });
  });
});

describe('inside a unit, a stack works as it does alone', () => {
  test('GIVEN the second stack\'s nested stack removes a subnet WHEN the unit deploys THEN the nested change set is inspected and the unit refused, naming the nested path', async () => {
    // GIVEN
    const world = createWorld({ synthesized: synthesizeUnit(), files: UNIT_FILES });
    const deployment = deploymentFor(undefined, synthesizeUnit());
    for (const name of [NETWORK, DATA, APP]) {
      world.cfn.putStack(name, 'UPDATE_COMPLETE');
      world.cfn.scripts.set(name, { changeSet: { changes: SAFE } });
    }
    const nestedArn = nestedChangeSetArn('VpcStack-1A2B3C');
    world.cfn.scripts.set(DATA, { changeSet: { changes: [SAFE[0], nestedStackChange('VpcStack', nestedArn)] } });
    world.extras.putNestedChangeSet(nestedArn, {
      root: { stackName: DATA, changeSetName: `${deployment.changeSetName}-2` },
      stackName: `${DATA}-VpcStack-1A2B3C4D`,
      changes: [resourceChange('Remove', 'PrivateSubnet', 'AWS::EC2::Subnet')],
    });

    // WHEN
    const result = await deploy(world, deployment);

    // THEN
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('VpcStack/PrivateSubnet (AWS::EC2::Subnet): Remove');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
  });

  test('GIVEN templates over 51,200 bytes for a new and an existing stack WHEN the unit deploys THEN each is staged under its own stack\'s name and deployed from there', async () => {
    // GIVEN
    const world = createWorld({ files: { ...UNIT_FILES, 'network.template.json': largeTemplate(), 'app.template.json': largeTemplate() } });
    for (const name of [DATA, APP]) {
      world.cfn.putStack(name, 'UPDATE_COMPLETE');
      world.cfn.scripts.set(name, { changeSet: { changes: SAFE } });
    }

    // WHEN
    const { run: result } = await deployUnit(world);

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(world.cfn.callsOf('CreateStack')[0].input.TemplateURL).toContain(`/sfn-deploy-action-staging/${NETWORK}/`);
    const appChangeSet = world.cfn.callsOf('CreateChangeSet').find((c) => c.input.StackName === APP);
    expect(appChangeSet?.input.TemplateURL).toContain(`/sfn-deploy-action-staging/${APP}/`);
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA, APP]);
  });
});

describe('a unit fails closed on every path', () => {
  const accessDenied = () => awsError('AccessDenied', 'User is not authorized to perform: cloudformation:DescribeStacks');

  test('GIVEN an error after the first stack\'s change set started executing WHEN the unit cleans up THEN the later stacks\' change sets are deleted and the cause says what happened to each', async () => {
    // GIVEN: DescribeStacks is refused once network's change set is executing.
    const world = unitWorld();
    world.cfn.beforeCall = (op) => {
      if (op === 'DescribeStacks' && world.cfn.callsOf('ExecuteChangeSet').length > 0) throw accessDenied();
    };

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expect(run.path.slice(-2)).toEqual([S.cleanUpUnitAfterError, S.unitErrored]);
    expect(deployedInOrder(world)).toEqual([NETWORK]);
    // network's change set is CloudFormation's now; the other two are gone.
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.StackName)).toEqual([DATA, APP]);
    expect([...world.cfn.changeSets.values()].filter((cs) => !cs.executed)).toEqual([]);
    expect(run.cause).toContain('AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks');
    expect(run.cause).toContain(`Interrupted by the error (see the stack for how it ended): ${NETWORK}. Untouched: ${DATA}, ${APP}.`);
  });

  test('GIVEN the execute task fails after CloudFormation accepted ExecuteChangeSet WHEN the unit cleans up THEN that stack is named as interrupted and the later change sets are deleted', async () => {
    // GIVEN: ExecuteChangeSet of data goes through, then its answer is lost (the task fails).
    const world = unitWorld();
    world.cfn.mock.on(ExecuteChangeSetCommand).callsFake(async (input) => {
      const answer = await (world.cfn as any).executeChangeSet(input);
      if (input.StackName === DATA) throw awsError('InternalFailure', 'the connection was reset after the request was sent', 400);
      return answer.output;
    });

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-2)).toEqual([S.cleanUpUnitAfterError, S.unitErrored]);
    expect(run.cause).toContain(`Deployed: ${NETWORK}. Interrupted by the error (see the stack for how it ended): ${DATA}. Untouched: ${APP}.`);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.StackName)).toEqual([APP]);
  });

  test('GIVEN one stack\'s review fails on an error while the others created their change sets WHEN the wave is judged THEN every review settles first, nothing is executed and every change set is deleted', async () => {
    // GIVEN: reading app's change set is refused.
    const world = unitWorld();
    world.cfn.beforeCall = (op, input) => {
      if (op === 'DescribeChangeSet' && input.StackName === APP) throw accessDenied();
    };

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnitReviewFailed');
    expect(run.cause).toContain(`The review of stack ${APP} failed: AccessDenied: User is not authorized`);
    expect(run.visits(S.unitStackReviewErrored)).toBe(1);
    expect(run.visits(forUnitStack(S.inspectChangeSet))).toBe(2);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.StackName).sort()).toEqual([APP, DATA, NETWORK]);
    expect([...world.cfn.changeSets.keys()].filter((k) => !k.startsWith(`${APP}/`))).toEqual([]);
  });

  test('GIVEN an execution started with a unit\'s progress of its own in the input WHEN it runs THEN nothing is deployed', async () => {
    // GIVEN: someone starts the job's execution first, claiming network is deployed with an output of their choosing.
    const world = unitWorld();
    const deployment = deploymentFor(undefined, synthesizeUnit());
    issueJobFor(world, deployment, synthesizeUnit().userParameters);
    const forged = { members: [{ stackName: NETWORK, status: 'UPDATED', outputs: { VpcId: 'vpc-evil' } }, { stackName: DATA, status: 'WAITING' }, { stackName: APP, status: 'WAITING' }], round: 1 };

    // WHEN
    const run = await runWorkflow({ deployment, unit: forged } as any, world.deps, { synthesized: synthesizeUnit() });

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnconfirmedDeployment');
    expect(causeMessage(run.cause)).toContain('the execution\'s input holds "unit" besides the deployment');
    expect(world.cfn.calls).toEqual([]);
  });

  test('GIVEN a stack that cannot be updated WHEN the unit is reviewed THEN the unit fails naming it, and no change set is executed or left', async () => {
    // GIVEN
    const world = unitWorld();
    world.cfn.putStack(DATA, 'UPDATE_ROLLBACK_FAILED');

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnitReviewFailed');
    expect(run.cause).toContain(`Stack ${DATA} is UPDATE_ROLLBACK_FAILED`);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect([...world.cfn.changeSets.keys()]).toEqual([]);
  });

  test('GIVEN a new stack whose creation fails WHEN the unit deploys THEN the stacks after it are not executed and their change sets are deleted', async () => {
    // GIVEN: network is new and its creation fails.
    const world = unitWorld();
    world.cfn.stacks.delete(NETWORK);
    world.cfn.scripts.set(NETWORK, { create: { failure: { logicalId: 'Vpc', resourceType: 'AWS::EC2::VPC', reason: 'The maximum number of VPCs has been reached.' } } });

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnitStackFailed');
    expect(run.cause).toContain('The maximum number of VPCs has been reached.');
    expect(run.cause).toContain(`Failed: ${NETWORK}. Untouched: ${DATA}, ${APP}.`);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect([...world.cfn.changeSets.keys()]).toEqual([]);
  });

  test('GIVEN the action\'s timeout passes while the first stack deploys WHEN it is done THEN no later stack is deployed and their change sets are deleted', async () => {
    // GIVEN: the clock jumps past the deadline once network's update is seen complete.
    const world = unitWorld();
    const deployment = deploymentFor(undefined, synthesizeUnit());
    const networkDone = () => {
      const executed = world.cfn.calls.findIndex((c) => c.op === 'ExecuteChangeSet');
      return executed >= 0 && world.cfn.calls.some((c, i) => i > executed && c.op === 'DescribeStacks' && c.input.StackName === NETWORK && c.status === 'UPDATE_COMPLETE');
    };
    const deps = { ...world.deps, now: () => (networkDone() ? deployment.deadline + 1000 : deployment.startedAt + 1000) };
    issueJobFor(world, deployment, synthesizeUnit().userParameters);

    // WHEN
    const run = await runWorkflow({ deployment }, deps, { synthesized: synthesizeUnit() });

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnitStackFailed');
    expect(run.cause).toContain('The action\'s timeout passed at');
    expect(run.cause).toContain(`Deployed: ${NETWORK}. Untouched: ${DATA}, ${APP}.`);
    expect(deployedInOrder(world)).toEqual([NETWORK]);
    expect([...world.cfn.changeSets.values()].filter((cs) => !cs.executed)).toEqual([]);
  });

  test('GIVEN a second wave that removes a table WHEN it is refused THEN the first wave stays deployed and the cause says so', async () => {
    // GIVEN: app waits for network's export, and its second change set removes a table.
    const world = unitWorld();
    world.cfn.scripts.set(APP, {
      changeSet: (name) => (name.endsWith('-w2') ? { changes: REMOVES_TABLE } : { failedReason: 'No export named prod-network-VpcId found.' }),
    });

    // WHEN
    const { run } = await deployUnit(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnsafeChangeSet');
    expect(run.cause).toContain(`for stack ${APP} is refused`);
    expect(run.cause).toContain(`Deployed: ${NETWORK}, ${DATA}. Untouched: ${APP}.`);
    expect(deployedInOrder(world)).toEqual([NETWORK, DATA]);
    expect([...world.cfn.changeSets.values()].filter((cs) => !cs.executed)).toEqual([]);
  });
});

describe('the change report of a unit', () => {
  test('GIVEN a unit with a report artifact WHEN it deploys THEN the report lists each stack with what happened to it and every change with its verdict', async () => {
    // GIVEN
    const withReport = synthesizeWorkflow({ ...UNIT_ACTION, reportArtifact: new codepipeline.Artifact('ChangeReport') });
    const world = unitWorld();
    world.cfn.scripts.set(DATA, {
      changeSet: { failedReason: 'The submitted information didn\'t contain changes. Submit different information to create a change set.' },
    });

    // WHEN
    const { run: result } = await deployUnit(world, withReport);
    const report = changeReport('SUCCEEDED', result.output);

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(report).toMatchObject({ status: 'SUCCEEDED', outcome: 'DEPLOYED', verdict: 'ALLOW' });
    expect(report.stacks?.map((s) => [s.stackName, s.status, s.verdict])).toEqual([
      [NETWORK, 'UPDATED', 'ALLOW'], [DATA, 'NO_CHANGES', undefined], [APP, 'UPDATED', 'ALLOW'],
    ]);
    expect(report.stacks?.[0].changes?.map((c) => [c.logicalId, c.action, c.verdict])).toEqual([['Queue', 'Modify', 'ALLOW'], ['Alarm', 'Add', 'ALLOW']]);
    const markdown = reportMarkdown(report);
    expect(markdown).toContain('# Change report: 3 stacks as one unit');
    expect(markdown).toContain(`## ${DATA}: NO_CHANGES`);
    expect(markdown).toContain(`## ${APP}: UPDATED`);
    expect(markdown).toContain('### Every change');
  });
});
