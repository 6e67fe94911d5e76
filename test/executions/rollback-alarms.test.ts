/**
 * Rollback alarms on the stateful fakes, the workflow run end to end. What the fakes model is CloudFormation's word:
 * - API reference, RollbackConfiguration: at most 5 triggers; MonitoringTimeInMinutes 0 to 180, "the amount of time
 *   ... CloudFormation should monitor all the rollback triggers after the stack creation or update operation deploys
 *   all necessary resources"; a stack keeps its last triggers for later updates unless told otherwise, "to remove all
 *   currently specified triggers, specify an empty list".
 * - API reference, RollbackTrigger: an alarm that goes to ALARM "during the stack operation or within the specified
 *   monitoring period afterwards" rolls back the entire operation; "if a specified trigger is missing, the entire
 *   stack operation fails and is rolled back"; types AWS::CloudWatch::Alarm and AWS::CloudWatch::CompositeAlarm.
 * - User guide, "Roll back your CloudFormation stack on alarm breach with rollback triggers": during the monitoring
 *   period the operation can still be cancelled "using CancelUpdateStack", which acts only on a stack that is
 *   UPDATE_IN_PROGRESS (API reference, CancelUpdateStack): so the stack stays UPDATE_IN_PROGRESS while it is watched.
 *   For a creation AWS does not say; the fakes (and docs/rollback-alarms.md) assume CREATE_IN_PROGRESS.
 * - The wording of the status reason after a breach is not documented: the tests vary it (the alarm's ARN, its name
 *   only, only in the stack event, nowhere).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  S, STACK_NAME, UNIT_ACTION, UNIT_FILES, UNIT_STACKS, approveAs, createWorld, deploy, deploymentFor, importedResources, synthesizeWith,
  synthesizeWorkflow,
} from './harness';
import type { World } from './harness';
import { ChangeAction, RuleVerdict, SafetyPolicy, UnsafeChangeAction, WhenAlarmFiring } from '../../src';
import { ROLLED_BACK_ON_ALARM } from '../../src/shared/errors';
import { alarmArn, awsCloudWatchError, resourceChange } from '../fakes';

const SAFE_CHANGES = [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')];
const ALARM = 'app-errors';
const OTHER = 'app-latency';
const alarmsApp = new Stack(new App(), 'Alarms', { env: { account: '111111111111', region: 'eu-west-1' } });
let imports = 0;
const imported = (name: string) => cloudwatch.Alarm.fromAlarmArn(alarmsApp, `${name}${imports++}`, alarmArn(name));

const WATCHED = synthesizeWith({ rollbackAlarms: [imported(ALARM), imported(OTHER)], monitoringTime: Duration.minutes(30) });

/** A world where the stack exists (UPDATE_COMPLETE), its alarms are OK, and its change set is safe. */
/** A person decides on IAM changes (up to an hour); other additions and modifications are allowed. */
const ASK_ABOUT_IAM = {
  safetyPolicy: SafetyPolicy.fromRules([
    { description: 'iam-asks-a-person', verdict: RuleVerdict.REQUIRE_APPROVAL, resourceTypes: ['AWS::IAM::*'] },
    { verdict: RuleVerdict.ALLOW, actions: [ChangeAction.ADD, ChangeAction.MODIFY] },
  ]),
  onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: importedResources().approvalTopic, timeout: Duration.hours(1) }),
};

function watchedWorld(): World {
  const world = createWorld({ synthesized: WATCHED });
  world.cloudwatch.putAlarm(ALARM);
  world.cloudwatch.putAlarm(OTHER);
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes: SAFE_CHANGES };
  return world;
}

const EXPECTED_CONFIGURATION = {
  RollbackTriggers: [
    { Arn: alarmArn(ALARM), Type: 'AWS::CloudWatch::Alarm' },
    { Arn: alarmArn(OTHER), Type: 'AWS::CloudWatch::Alarm' },
  ],
  MonitoringTimeInMinutes: 30,
};

describe('rollback alarms watched during and after the update', () => {
  test('GIVEN rollback alarms and a 30-minute monitoring period WHEN the alarms stay OK THEN the change set carries them as RollbackConfiguration and the action succeeds only after the monitoring period (the stack UPDATE_IN_PROGRESS meanwhile)', async () => {
    // GIVEN
    const world = watchedWorld();
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1, monitoringPolls: 3 };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(world.cfn.callsOf('CreateChangeSet')[0].input.RollbackConfiguration).toEqual(EXPECTED_CONFIGURATION);
    // One poll while the resources deploy, three while CloudFormation watches the alarms: all UPDATE_IN_PROGRESS.
    expect(run.outputsOf(S.getStackUpdateStatus).map((o) => o.operation.status)).toEqual([
      'UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE',
    ]);
    expect(world.cfn.stack(STACK_NAME)?.rollback).toEqual(EXPECTED_CONFIGURATION);
    // CloudWatch was asked before the change set and again right before it was executed (no alarm in ALARM), and not
    // after: nothing went wrong.
    expect(world.cloudwatch.calls).toHaveLength(2);
  });

  test('GIVEN rollback alarms WHEN the stack does not exist THEN CreateStack carries the RollbackConfiguration', async () => {
    // GIVEN
    const world = createWorld({ synthesized: WATCHED });
    world.cloudwatch.putAlarm(ALARM);
    world.cloudwatch.putAlarm(OTHER);
    world.cfn.onCreateStack = { inProgressPolls: 1, monitoringPolls: 2 };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(world.cfn.callsOf('CreateStack')[0].input.RollbackConfiguration).toEqual(EXPECTED_CONFIGURATION);
    expect(run.outputsOf(S.getStackCreationStatus).map((o) => o.operation.status)).toEqual([
      'CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
    ]);
  });

  test('GIVEN a rollback alarm WHEN it goes to ALARM during the update THEN CloudFormation rolls back and the action fails with the alarm, its state reason and UPDATE_ROLLBACK_COMPLETE', async () => {
    // GIVEN
    const world = watchedWorld();
    world.cfn.onExecuteChangeSet = {
      inProgressPolls: 1, breach: { alarm: ALARM, during: 'operation', stateReason: 'Threshold Crossed: 5 errors in 1 minute (threshold 1)' },
    };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain(`Stack ${STACK_NAME} ended UPDATE_ROLLBACK_COMPLETE, not UPDATE_COMPLETE`);
    expect(run.cause).toContain(`rollback alarm ${ALARM} is ALARM: Threshold Crossed: 5 errors in 1 minute (threshold 1)`);
    expect(run.cause).toContain('it is as it was before this deployment');
    // The words the change report recognises a rollback by.
    expect(run.cause).toContain(ROLLED_BACK_ON_ALARM);
    expect(run.cause).not.toContain(OTHER);
    expect(run.path).not.toContain(S.deploymentSucceeded);
  });

  test('GIVEN a rollback alarm WHEN it goes to ALARM during the monitoring period (the resources deployed, the stack still UPDATE_IN_PROGRESS) THEN the action fails with the alarm and UPDATE_ROLLBACK_COMPLETE, never succeeds first', async () => {
    // GIVEN
    const world = watchedWorld();
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1, monitoringPolls: 2, breach: { alarm: OTHER, during: 'monitoring', stateReason: 'p99 latency 2.3 s > 1 s' } };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.outputsOf(S.getStackUpdateStatus).map((o) => o.operation.status)).toEqual([
      'UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE',
    ]);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain(`rollback alarm ${OTHER} is ALARM: p99 latency 2.3 s > 1 s`);
    expect(run.cause).toContain('UPDATE_ROLLBACK_COMPLETE');
  });

  test('GIVEN a new stack with a rollback alarm WHEN the alarm fires during its creation THEN the action fails with the alarm and ROLLBACK_COMPLETE (its creation undone)', async () => {
    // GIVEN
    const world = createWorld({ synthesized: WATCHED });
    world.cloudwatch.putAlarm(ALARM);
    world.cloudwatch.putAlarm(OTHER);
    world.cfn.onCreateStack = { inProgressPolls: 1, breach: { alarm: ALARM, during: 'monitoring' } };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.error).toBe('StackCreationFailed');
    expect(run.cause).toContain('ended ROLLBACK_COMPLETE, not CREATE_COMPLETE');
    expect(run.cause).toContain(`rollback alarm ${ALARM} is ALARM: Threshold Crossed`);
    expect(run.cause).toContain('its creation was undone');
  });
});

describe('every way CloudFormation tells a rollback reaches the failure message', () => {
  const cases: [string, { reason?: string; toldIn?: 'stackAndEvent' | 'eventOnly' | 'nowhere' }][] = [
    ['the status reason names the alarm\'s ARN', { reason: 'Rollback triggered by alarm {arn}' }],
    ['the status reason names the alarm by name only', { reason: 'The following rollback trigger(s) breached: [{name}]' }],
    ['only the stack event names the alarm', { toldIn: 'eventOnly' }],
    ['no reason names the alarm (CloudWatch shows it in ALARM)', { toldIn: 'nowhere', reason: 'Stack rollback requested' }],
  ];
  test.each(cases)('GIVEN a breach where %s WHEN the update rolls back THEN the failure names the alarm and its state reason', async (_what, told) => {
    // GIVEN
    const world = watchedWorld();
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1, breach: { alarm: ALARM, during: 'operation', stateReason: 'errors above 1%', ...told } };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain(`rollback alarm ${ALARM} is ALARM: errors above 1%`);
    expect(run.cause).not.toContain(`rollback alarm ${OTHER}`);
  });

  test('GIVEN a rollback alarm that was deleted WHEN the update runs THEN CloudFormation fails and rolls it back (a missing trigger) and the failure says the alarm does not exist', async () => {
    // GIVEN: the alarm is deleted after the check before the deployment, as the change set is executed.
    const world = watchedWorld();
    world.cfn.beforeCall = (op) => {
      if (op === 'ExecuteChangeSet') world.cloudwatch.alarms.delete(OTHER);
    };
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1 };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain(`rollback alarm ${OTHER} does not exist`);
    expect(run.cause).toContain('remove it from rollbackAlarms');
  });

  test('GIVEN a breach WHEN DescribeAlarms is denied THEN the failure still names the alarm and the final status, and says its state reason could not be read', async () => {
    // GIVEN: CloudWatch refuses the reads after the check before the deployment.
    const world = watchedWorld();
    world.cfn.beforeCall = (op) => {
      if (op === 'ExecuteChangeSet') world.cloudwatch.failure = awsCloudWatchError('AccessDenied', 'not authorized to perform: cloudwatch:DescribeAlarms');
    };
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1, breach: { alarm: ALARM, during: 'operation' } };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain(`rollback alarm ${ALARM} (its state reason could not be read: DescribeAlarms failed: AccessDenied)`);
    expect(run.cause).toContain('UPDATE_ROLLBACK_COMPLETE');
  });

  test('GIVEN rollback alarms that stay OK WHEN a resource fails and the update rolls back THEN the failure names the resource, not an alarm', async () => {
    // GIVEN
    const world = watchedWorld();
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1, failure: { logicalId: 'Queue', resourceType: 'AWS::SQS::Queue', reason: 'queue name taken' } };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain('First failure: Queue (AWS::SQS::Queue) UPDATE_FAILED: queue name taken');
    expect(run.cause).not.toContain('rollback alarm');
  });
});

describe('removed rollback alarms are cleared; a stack that never had any is deployed as before', () => {
  test('GIVEN a stack that keeps rollback triggers from an earlier deployment WHEN the action has no rollback alarms now THEN the change set sends an empty RollbackConfiguration and the stack has no triggers after', async () => {
    // GIVEN: CloudFormation keeps a stack's last triggers for later updates unless told otherwise.
    const world = createWorld();
    world.cloudwatch.putAlarm(ALARM);
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE', {
      rollback: { RollbackTriggers: [{ Arn: alarmArn(ALARM), Type: 'AWS::CloudWatch::Alarm' }], MonitoringTimeInMinutes: 30 },
    });
    world.cfn.onCreateChangeSet = { changes: SAFE_CHANGES };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(world.cfn.callsOf('CreateChangeSet')[0].input.RollbackConfiguration).toEqual({ RollbackTriggers: [], MonitoringTimeInMinutes: 0 });
    expect(world.cfn.stack(STACK_NAME)?.rollback).toEqual({ RollbackTriggers: [], MonitoringTimeInMinutes: 0 });
  });

  test('GIVEN a stack without rollback triggers WHEN the action has none THEN CreateChangeSet and CreateStack carry no RollbackConfiguration (the calls of earlier versions)', async () => {
    // GIVEN
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: SAFE_CHANGES };
    const fresh = createWorld();

    // WHEN
    const updated = await deploy(world);
    const created = await deploy(fresh);

    // THEN
    expect(updated.status).toBe('SUCCEEDED');
    expect(created.status).toBe('SUCCEEDED');
    expect(world.cfn.callsOf('CreateChangeSet')[0].input).not.toHaveProperty('RollbackConfiguration');
    expect(fresh.cfn.callsOf('CreateStack')[0].input).not.toHaveProperty('RollbackConfiguration');
    // No alarm configured: CloudWatch is never asked.
    expect(world.cloudwatch.calls).toHaveLength(0);
  });
});

describe('never deploy into an alarm', () => {
  const BLOCKING = 'checkout-errors';
  const GUARDED = synthesizeWith({ rollbackAlarms: [imported(ALARM)], blockingAlarms: [imported(BLOCKING)] });
  const FAILING = synthesizeWith({ rollbackAlarms: [imported(ALARM)], blockingAlarms: [imported(BLOCKING)], whenAlarmFiring: WhenAlarmFiring.FAIL });

  function guardedWorld(synthesized = GUARDED): World {
    const world = createWorld({ synthesized });
    world.cloudwatch.putAlarm(ALARM);
    world.cloudwatch.putAlarm(BLOCKING);
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: SAFE_CHANGES };
    return world;
  }

  test('GIVEN a rollback alarm already in ALARM WHEN the deployment starts (whenAlarmFiring WAIT, the default) THEN it waits, reading the alarms a minute apart, and deploys once the alarm is OK', async () => {
    // GIVEN: the alarm is OK again at the third read.
    const world = guardedWorld();
    world.cloudwatch.setState(ALARM, 'ALARM', 'errors above 1%');
    world.cloudwatch.beforeCall = (calls) => {
      if (calls === 3) world.cloudwatch.setState(ALARM, 'OK', 'errors back to 0');
    };
    const writesWhileAlarmed: number[] = [];
    world.cloudwatch.beforeCall = ((inner) => (calls: number) => {
      writesWhileAlarmed.push(world.cfn.writes().length);
      inner?.(calls);
    })(world.cloudwatch.beforeCall);

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    // Three reads at the stack check, nothing written meanwhile; a fourth right before the change set is executed.
    expect(world.cloudwatch.calls).toHaveLength(4);
    expect(writesWhileAlarmed.slice(0, 3)).toEqual([0, 0, 0]);
    expect(writesWhileAlarmed[3]).toBe(world.cfn.writes().findIndex((c) => c.op === 'ExecuteChangeSet'));
    expect(run.visits(S.waitForOtherDeployment)).toBe(2);
    // Both kinds of alarm are read; only the rollback alarm is a trigger.
    expect(world.cloudwatch.calls[0]).toEqual({ AlarmNames: [ALARM, BLOCKING], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(world.cfn.callsOf('CreateChangeSet')[0].input.RollbackConfiguration.RollbackTriggers).toEqual([{ Arn: alarmArn(ALARM), Type: 'AWS::CloudWatch::Alarm' }]);
  });

  test('GIVEN a blocking alarm in ALARM WHEN whenAlarmFiring is FAIL THEN the action fails at once, naming the alarm and its state reason, and nothing is written to CloudFormation', async () => {
    // GIVEN
    const world = guardedWorld(FAILING);
    world.cloudwatch.setState(BLOCKING, 'ALARM', 'checkout 5xx above 2%');

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.cause).toContain(`Not deploying stack ${STACK_NAME}: alarm ${BLOCKING} is in ALARM (checkout 5xx above 2%)`);
    expect(run.cause).toContain('Nothing was changed');
    expect(world.cfn.writes()).toEqual([]);
  });

  test('GIVEN an alarm that stays in ALARM WHEN the action\'s timeout passes while waiting THEN it fails, having deployed nothing', async () => {
    // GIVEN: the deployment started three hours ago; its two-hour timeout has passed.
    const world = guardedWorld();
    world.cloudwatch.setState(ALARM, 'ALARM', 'errors above 1%');
    const deployment = deploymentFor(undefined, GUARDED, Date.now() - 3 * 3_600_000);

    // WHEN
    const run = await deploy(world, deployment);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.cause).toContain(`alarm ${ALARM} is in ALARM (errors above 1%), until the action's timeout`);
    expect(world.cfn.writes()).toEqual([]);
  });

  test('GIVEN a new stack and a rollback alarm that does not exist WHEN the deployment starts (even with whenAlarmFiring WAIT) THEN it fails at once, the stack not created, saying the alarm does not exist', async () => {
    // GIVEN: waiting would not make it exist, and CloudFormation fails an operation whose trigger is missing.
    const world = createWorld({ synthesized: GUARDED });
    world.cloudwatch.putAlarm(BLOCKING);

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.cause).toContain(`alarm ${ALARM} does not exist`);
    expect(world.cfn.callsOf('CreateStack')).toEqual([]);
    expect(world.cloudwatch.calls).toHaveLength(1);
  });

  test('GIVEN alarms that cannot be read (DescribeAlarms denied) WHEN the deployment starts THEN it fails closed before any change', async () => {
    // GIVEN
    const world = guardedWorld();
    world.cloudwatch.failure = awsCloudWatchError('AccessDenied', 'not authorized to perform: cloudwatch:DescribeAlarms');

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expect(world.cfn.writes()).toEqual([]);
  });
});

describe('units and approvals with rollback alarms', () => {
  const UNIT_WATCHED = synthesizeWorkflow({
    ...UNIT_ACTION,
    monitoringTime: Duration.minutes(15),
    stacks: UNIT_ACTION.stacks!.map((st) => ({ ...st, rollbackAlarms: [imported(`${st.stackName}-errors`)] })),
  });

  function unitWorld(): World {
    const world = createWorld({ synthesized: UNIT_WATCHED, files: UNIT_FILES });
    for (const name of UNIT_STACKS) {
      world.cloudwatch.putAlarm(`${name.replace('prod-', '')}-errors`);
      world.cfn.putStack(name, 'UPDATE_COMPLETE');
      world.cfn.scripts.set(name, { changeSet: { changes: SAFE_CHANGES }, execute: { inProgressPolls: 1, monitoringPolls: 2 } });
    }
    return world;
  }

  test('GIVEN a unit whose stacks each have a rollback alarm WHEN all stay OK THEN each stack\'s monitoring period ends (UPDATE_COMPLETE) before the next stack\'s change set is executed', async () => {
    // GIVEN
    const world = unitWorld();

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    const calls = world.cfn.calls;
    for (const [earlier, later] of [[UNIT_STACKS[0], UNIT_STACKS[1]], [UNIT_STACKS[1], UNIT_STACKS[2]]]) {
      const completed = calls.findIndex((c) => c.op === 'DescribeStacks' && c.input.StackName === earlier && c.status === 'UPDATE_COMPLETE');
      const executed = calls.findIndex((c) => c.op === 'ExecuteChangeSet' && c.input.StackName === later);
      expect(completed).toBeGreaterThanOrEqual(0);
      expect(completed).toBeLessThan(executed);
    }
    // Each stack's change set carries its own alarm.
    for (const name of UNIT_STACKS) {
      const created = world.cfn.callsOf('CreateChangeSet').find((c) => c.input.StackName === name)!;
      expect(created.input.RollbackConfiguration).toEqual({
        RollbackTriggers: [{ Arn: alarmArn(`${name.replace('prod-', '')}-errors`), Type: 'AWS::CloudWatch::Alarm' }], MonitoringTimeInMinutes: 15,
      });
    }
  });

  test('GIVEN a unit WHEN the second stack\'s alarm fires during its monitoring period THEN the unit stops: the first stack stays deployed, the second is rolled back, the third is untouched and its change set deleted, and the message says so', async () => {
    // GIVEN
    const world = unitWorld();
    world.cfn.scripts.set('prod-data', {
      changeSet: { changes: SAFE_CHANGES },
      execute: { inProgressPolls: 1, monitoringPolls: 2, breach: { alarm: 'data-errors', during: 'monitoring', stateReason: 'replica lag 40 s' } },
    });

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnitStackFailed');
    expect(run.cause).toContain('rollback alarm data-errors is ALARM: replica lag 40 s');
    expect(run.cause).toContain('UPDATE_ROLLBACK_COMPLETE');
    expect(run.cause).toContain('it is as it was before this deployment');
    expect(run.cause).toContain('Deployed: prod-network. Failed: prod-data. Untouched: prod-app.');
    expect(world.cfn.callsOf('ExecuteChangeSet').map((c) => c.input.StackName)).toEqual(['prod-network', 'prod-data']);
    expect([...world.cfn.changeSets.keys()].filter((k) => k.startsWith('prod-app/'))).toEqual([]);
    expect(world.cfn.stack('prod-network')?.status).toBe('UPDATE_COMPLETE');
    expect(world.cfn.stack('prod-data')?.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(world.cfn.stack('prod-app')?.status).toBe('UPDATE_COMPLETE');
  });

  test('GIVEN a change set a person approves WHEN the rollback alarm fires during the monitoring period THEN the approved update is rolled back and the action fails naming the alarm', async () => {
    // GIVEN
    const approving = synthesizeWith({
      rollbackAlarms: [imported(ALARM)],
      monitoringTime: Duration.minutes(10),
      ...ASK_ABOUT_IAM,
    });
    const world = createWorld({ synthesized: approving });
    world.cloudwatch.putAlarm(ALARM);
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [resourceChange('Modify', 'DeployRole', 'AWS::IAM::Role', 'False')] };
    world.cfn.onExecuteChangeSet = { inProgressPolls: 1, monitoringPolls: 2, breach: { alarm: ALARM, during: 'monitoring', stateReason: '5xx above 1%' } };
    world.approver = approveAs('alice@example.com');

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(world.asked).toHaveLength(1);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
    expect(world.cfn.callsOf('CreateChangeSet')[0].input.RollbackConfiguration.RollbackTriggers).toEqual([{ Arn: alarmArn(ALARM), Type: 'AWS::CloudWatch::Alarm' }]);
    expect(run.error).toBe('StackUpdateFailed');
    expect(run.cause).toContain(`rollback alarm ${ALARM} is ALARM: 5xx above 1%`);
  });
});

describe('no deployment into an alarm that fires after the check', () => {
  const BLOCKING = 'checkout-errors';

  test('GIVEN a change set waiting for a person WHEN a blocking alarm goes to ALARM before the approval THEN the approved change set is not executed: it is deleted and the action fails naming the alarm', async () => {
    // GIVEN: the alarms are OK when the change set is made; the alarm fires while the change set waits for a person.
    const approving = synthesizeWith({
      rollbackAlarms: [imported(ALARM)],
      blockingAlarms: [imported(BLOCKING)],
      ...ASK_ABOUT_IAM,
    });
    const world = createWorld({ synthesized: approving });
    world.cloudwatch.putAlarm(ALARM);
    world.cloudwatch.putAlarm(BLOCKING);
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [resourceChange('Modify', 'DeployRole', 'AWS::IAM::Role', 'False')] };
    const approve = approveAs('alice@example.com');
    world.approver = async (...args) => {
      world.cloudwatch.setState(BLOCKING, 'ALARM', 'checkout 5xx above 2%');
      return approve(...args);
    };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(world.asked).toHaveLength(1);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toEqual([]);
    expect(run.status).toBe('FAILED');
    expect(run.cause).toContain(`alarm ${BLOCKING} is in ALARM (checkout 5xx above 2%)`);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');
  });

  test('GIVEN a unit with a blocking alarm WHEN the alarm goes to ALARM while the first stack deploys THEN the next stacks are not deployed: their change sets are deleted and the action fails naming the alarm', async () => {
    // GIVEN: every stack is checked (alarms OK) when the unit is reviewed; the alarm fires after the first stack is executed.
    const synthesized = synthesizeWorkflow({ ...UNIT_ACTION, blockingAlarms: [imported(BLOCKING)] });
    const world = createWorld({ synthesized, files: UNIT_FILES });
    world.cloudwatch.putAlarm(BLOCKING);
    for (const name of UNIT_STACKS) {
      world.cfn.putStack(name, 'UPDATE_COMPLETE');
      world.cfn.scripts.set(name, { changeSet: { changes: SAFE_CHANGES }, execute: { inProgressPolls: 1 } });
    }
    world.cfn.beforeCall = (op, input) => {
      if (op === 'ExecuteChangeSet' && input.StackName === UNIT_STACKS[0]) world.cloudwatch.setState(BLOCKING, 'ALARM', 'checkout 5xx above 2%');
    };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(world.cfn.callsOf('ExecuteChangeSet').map((c) => c.input.StackName)).toEqual([UNIT_STACKS[0]]);
    expect(run.status).toBe('FAILED');
    expect(run.cause).toContain(`alarm ${BLOCKING} is in ALARM (checkout 5xx above 2%)`);
    expect(run.cause).toContain('Deployed: prod-network. Untouched: prod-data, prod-app.');
    for (const name of UNIT_STACKS.slice(1)) expect([...world.cfn.changeSets.keys()].filter((k) => k.startsWith(`${name}/`))).toEqual([]);
  });
});

describe('blue/green with rollback alarms', () => {
  test('GIVEN a refused change set and deployToNewStack WHEN the template goes to a new stack THEN its CreateStack carries the rollback alarms, and a breach there fails the action naming the alarm', async () => {
    // GIVEN
    const blueGreen = synthesizeWith({
      rollbackAlarms: [imported(ALARM)], monitoringTime: Duration.minutes(10), onUnsafeChange: UnsafeChangeAction.deployToNewStack({ stackNameSuffix: 'green' }),
    });
    const world = createWorld({ synthesized: blueGreen });
    world.cloudwatch.putAlarm(ALARM);
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [resourceChange('Remove', 'Database', 'AWS::RDS::DBInstance')] };
    world.cfn.onCreateStack = { inProgressPolls: 1, monitoringPolls: 1, breach: { alarm: ALARM, during: 'monitoring', stateReason: 'green errors' } };

    // WHEN
    const run = await deploy(world);

    // THEN
    const created = world.cfn.callsOf('CreateStack');
    expect(created.map((c) => c.input.StackName)).toEqual([`${STACK_NAME}-green`]);
    expect(created[0].input.RollbackConfiguration).toEqual({
      RollbackTriggers: [{ Arn: alarmArn(ALARM), Type: 'AWS::CloudWatch::Alarm' }], MonitoringTimeInMinutes: 10,
    });
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(run.error).toBe('StackCreationFailed');
    expect(run.cause).toContain(`rollback alarm ${ALARM} is ALARM: green errors`);
    expect(run.cause).toContain('ROLLBACK_COMPLETE');
  });
});
