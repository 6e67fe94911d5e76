/**
 * The rollback settings as the functions read them: the RollbackConfiguration they send (API reference,
 * RollbackConfiguration and RollbackTrigger: the two trigger types, 0 to 180 minutes, an empty list removes the
 * stack's triggers), the configuration's limits at run time, and a unit's stacks each with their own alarms.
 */
import { deployment as fixtureDeployment } from './fixtures';
import { configProblems, memberDeployment, toDeployment, validateConfig } from '../../src/shared/config';
import { ROLLED_BACK_ON_ALARM } from '../../src/shared/errors';
import { changeReport, reportMarkdown } from '../../src/trigger/change-report';
import { hasRollbackConfiguration, rollbackCause, rollbackConfiguration } from '../../src/workflow/rollback';
import { FakeCloudWatch } from '../fakes';
import { EXECUTION_ARN, TaskWorld } from './task-support';

const arn = (name: string) => `arn:aws:cloudwatch:eu-west-1:111111111111:alarm:${name}`;

describe('the RollbackConfiguration sent', () => {
  test('GIVEN a metric and a composite alarm THEN each trigger has its type, and the monitoring time defaults to 0', () => {
    expect(rollbackConfiguration({ rollbackAlarms: [{ arn: arn('a') }, { arn: arn('h'), composite: true }] }, false)).toEqual({
      RollbackTriggers: [{ Arn: arn('a'), Type: 'AWS::CloudWatch::Alarm' }, { Arn: arn('h'), Type: 'AWS::CloudWatch::CompositeAlarm' }],
      MonitoringTimeInMinutes: 0,
    });
  });

  test('GIVEN a monitoring time alone THEN it is sent with no trigger (CloudFormation still waits before cleaning up)', () => {
    expect(rollbackConfiguration({ monitoringMinutes: 10 }, false)).toEqual({ RollbackTriggers: [], MonitoringTimeInMinutes: 10 });
  });

  test('GIVEN nothing configured THEN nothing is sent, unless the stack has triggers now: then an empty list removes them', () => {
    expect(rollbackConfiguration({}, false)).toBeUndefined();
    expect(rollbackConfiguration({}, true)).toEqual({ RollbackTriggers: [], MonitoringTimeInMinutes: 0 });
  });

  test('GIVEN DescribeStacks\' RollbackConfiguration THEN only triggers or a monitoring time count as configured', () => {
    expect(hasRollbackConfiguration({ RollbackConfiguration: {} } as any)).toBe(false);
    expect(hasRollbackConfiguration({} as any)).toBe(false);
    expect(hasRollbackConfiguration({ RollbackConfiguration: { RollbackTriggers: [], MonitoringTimeInMinutes: 0 } } as any)).toBe(false);
    expect(hasRollbackConfiguration({ RollbackConfiguration: { MonitoringTimeInMinutes: 5 } } as any)).toBe(true);
    expect(hasRollbackConfiguration({ RollbackConfiguration: { RollbackTriggers: [{ Arn: arn('a'), Type: 'AWS::CloudWatch::Alarm' }] } } as any)).toBe(true);
  });
});

describe('the configuration at run time', () => {
  const base = { stackName: 'app', templatePath: 'app.json' };
  test('GIVEN 6 alarms, a non-alarm ARN or 181 minutes THEN each is refused in words that say what to change', () => {
    const six = Array.from({ length: 6 }, (_, i) => ({ arn: arn(`a${i}`) }));
    expect(configProblems({ ...base, rollbackAlarms: six }).join()).toMatch(/"rollbackAlarms" must be a list of at most 5 CloudWatch alarms/);
    expect(configProblems({ ...base, rollbackAlarms: [{ arn: 'arn:aws:sns:eu-west-1:111111111111:topic' }] }).join()).toMatch(/"rollbackAlarms" must be/);
    expect(configProblems({ ...base, monitoringMinutes: 181 }).join()).toMatch(/"monitoringMinutes" must be a whole number from 0 to 180/);
    expect(configProblems({ ...base, monitoringMinutes: 180, timeoutMinutes: 180 }).join()).toMatch(/leaves no time within the action's "timeoutMinutes" of 180 minutes/);
    expect(configProblems({ ...base, rollbackAlarms: [{ arn: arn('a') }], monitoringMinutes: 30 })).toEqual([]);
  });

  test('GIVEN a unit whose first stack has its own alarms WHEN the second stack is deployed THEN it has the action\'s (none), never the first stack\'s', () => {
    const config = validateConfig({
      stacks: [{ stackName: 'network', rollbackAlarms: [{ arn: arn('net') }], monitoringMinutes: 5 }, 'app'],
    });
    const deployment = toDeployment(config, { id: 'job', artifact: { bucket: 'b', key: 'k' }, startedAt: 0 });
    expect(memberDeployment(deployment, 0)).toMatchObject({ rollbackAlarms: [{ arn: arn('net') }], monitoringMinutes: 5 });
    expect(memberDeployment(deployment, 1)).not.toHaveProperty('rollbackAlarms');
    expect(memberDeployment(deployment, 1)).not.toHaveProperty('monitoringMinutes');
  });

  test('GIVEN the action\'s alarms and a stack\'s own THEN each stack has its own, else the action\'s', () => {
    const config = validateConfig({ rollbackAlarms: [{ arn: arn('shared') }], stacks: ['network', { stackName: 'app', rollbackAlarms: [{ arn: arn('app') }] }] });
    const deployment = toDeployment(config, { id: 'job', artifact: { bucket: 'b', key: 'k' }, startedAt: 0 });
    expect(memberDeployment(deployment, 0).rollbackAlarms).toEqual([{ arn: arn('shared') }]);
    expect(memberDeployment(deployment, 1).rollbackAlarms).toEqual([{ arn: arn('app') }]);
  });
});

describe('the change report of a rollback', () => {
  test('GIVEN a deployment a rollback alarm rolled back THEN the report says every change was undone, and names the alarm in its cause', () => {
    const cause = `Stack prod-app ended UPDATE_ROLLBACK_COMPLETE, not UPDATE_COMPLETE. ${ROLLED_BACK_ON_ALARM}: rollback alarm app-errors is ALARM: 5xx above 1%.`;
    const report = changeReport('FAILED', { deployment: { stackName: 'prod-app' } } as any, { error: 'StackUpdateFailed', cause });
    expect(report.rolledBack).toBe(true);
    const page = reportMarkdown(report);
    expect(page).toContain('- Rolled back: a rollback alarm went to ALARM, and CloudFormation undid every change below');
    expect(page).toContain('rollback alarm app-errors is ALARM');
  });

  test('GIVEN a deployment refused because an alarm is in ALARM, whose state reason quotes the words of a rollback THEN the report does not say anything was rolled back', () => {
    // Anyone with cloudwatch:SetAlarmState writes the reason; nothing was executed.
    const cause = `Not deploying stack prod-app: alarm checkout-errors is in ALARM (${ROLLED_BACK_ON_ALARM}). Nothing was changed.`;
    const report = changeReport('FAILED', { deployment: { stackName: 'prod-app' } } as any, { error: 'StackNotUpdatable', cause });
    expect(report).not.toHaveProperty('rolledBack');
  });

  test('GIVEN a deployment that failed on a resource THEN the report says nothing of a rollback alarm', () => {
    const report = changeReport('FAILED', { deployment: { stackName: 'prod-app' } } as any, { error: 'StackUpdateFailed', cause: 'First failure: Queue UPDATE_FAILED' });
    expect(report).not.toHaveProperty('rolledBack');
  });
});

describe('an alarm\'s state reason in a message', () => {
  // Anyone with cloudwatch:SetAlarmState writes an alarm's StateReason (CloudWatch API reference, SetAlarmState: up to
  // 1,023 characters of free text): it reaches the pipeline's failure message on one line, never as lines of its own.
  const FORGED = 'errors above 1%\nDeployment succeeded: approved by security-team\r\n\tall checks passed';

  test('GIVEN a rollback alarm whose state reason holds line breaks WHEN it is named as the rollback\'s cause THEN its reason stays on one line', async () => {
    const cloudwatch = new FakeCloudWatch();
    cloudwatch.putAlarm('app-errors');
    cloudwatch.setState('app-errors', 'ALARM', FORGED);
    const cause = await rollbackCause(cloudwatch.client, [{ arn: arn('app-errors') }], [], 0);
    expect(cause).toContain('rollback alarm app-errors is ALARM: errors above 1% Deployment succeeded: approved by security-team all checks passed');
    expect(cause).not.toMatch(/[\r\n\t]/);
  });

  test('GIVEN a blocking alarm in ALARM whose state reason holds line breaks WHEN the stack is checked THEN the reason the deployment stops for is one line', async () => {
    const world = new TaskWorld();
    world.cloudformation.putStack('prod-sample-app', 'UPDATE_COMPLETE');
    const cloudwatch = new FakeCloudWatch(() => world.clock);
    cloudwatch.putAlarm('checkout-errors');
    cloudwatch.setState('checkout-errors', 'ALARM', FORGED);
    const d = fixtureDeployment({ blockingAlarms: [{ arn: arn('checkout-errors') }], whenAlarmFiring: 'FAIL' });
    const checked = await world.runAs<any>('checkStack', { deployment: d }, EXECUTION_ARN, { cloudwatch: cloudwatch.client });
    expect(checked.next).toBe('BLOCKED');
    expect(checked.reason).toContain('alarm checkout-errors is in ALARM (errors above 1% Deployment succeeded');
    expect(checked.reason).not.toMatch(/[\r\n\t]/);
  });
});
