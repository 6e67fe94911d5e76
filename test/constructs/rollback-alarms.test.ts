/**
 * Rollback alarms at synth: how the action writes them into its configuration, what it refuses (CloudFormation's
 * limits: at most 5 triggers and 0 to 180 minutes, API reference RollbackConfiguration; alarms of the stack's own
 * account and region), and the rights it gives (cloudwatch:DescribeAlarms on those alarms only; `*` only for a
 * composite alarm, which CloudWatch's permissions reference says DescribeAlarms returns only to a `*` permission).
 * Without alarms nothing of it is in the template.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ACCOUNT, REGION, newPipeline, newStack, roleLogicalIdOf, singleAction, statementsOf, userParametersOf } from './helpers';
import { StepFunctionsDeployAction, WhenAlarmFiring } from '../../src';
import type { StepFunctionsDeployActionProps } from '../../src';
import { evaluate } from '../iam/evaluate';
import type { PolicyStatement } from '../iam/evaluate';

const arnOf = (name: string, account = ACCOUNT, region = REGION) => `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;

function metricAlarm(stack: Stack, id: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(stack, id, {
    metric: new cloudwatch.Metric({ namespace: 'App', metricName: 'Errors' }), threshold: 1, evaluationPeriods: 1,
  });
}

/** One action deploying stack `app` in a pipeline of its own, with the props `extra` makes in its stack; synthesized. */
function deployWith(extra: (stack: Stack) => Partial<StepFunctionsDeployActionProps>) {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const action = new StepFunctionsDeployAction(stack, 'Deploy', {
    actionName: 'Deploy', stackName: 'app', templatePath: source.atPath('app.json'), ...extra(stack),
  });
  pipeline.addStage({ stageName: 'Deploy', actions: [action] });
  return { stack, action, template: Template.fromStack(stack) };
}

describe('rollback alarms in the configuration', () => {
  test('GIVEN rollback alarms and a monitoring time WHEN synthesized THEN UserParameters carry each alarm\'s ARN (composite marked) and the minutes', () => {
    // GIVEN, WHEN
    const { template } = deployWith((stack) => {
      const errors = metricAlarm(stack, 'Errors');
      const composite = new cloudwatch.CompositeAlarm(stack, 'Health', { alarmRule: cloudwatch.AlarmRule.fromAlarm(errors, cloudwatch.AlarmState.ALARM) });
      return {
        rollbackAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'Imported', arnOf('imported')), composite],
        monitoringTime: Duration.minutes(30),
      };
    });

    // THEN
    const { config } = userParametersOf(template, 'Deploy');
    expect(config.monitoringMinutes).toBe(30);
    expect(config.rollbackAlarms).toHaveLength(2);
    expect(config.rollbackAlarms[0]).toEqual({ arn: arnOf('imported') });
    expect(config.rollbackAlarms[1].composite).toBe(true);
  });

  test('GIVEN a unit with the action\'s alarms and a stack\'s own WHEN synthesized THEN the action\'s are at the top and the stack\'s in its entry', () => {
    // GIVEN
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);

    // WHEN
    const action = new StepFunctionsDeployAction(stack, 'Deploy', {
      actionName: 'Deploy',
      rollbackAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'Shared', arnOf('shared'))],
      stacks: [
        { stackName: 'network', templatePath: source.atPath('network.template.json') },
        {
          stackName: 'app',
          templatePath: source.atPath('app.template.json'),
          rollbackAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'AppErrors', arnOf('app-errors'))],
          monitoringTime: Duration.minutes(15),
        },
      ],
    });
    pipeline.addStage({ stageName: 'Deploy', actions: [action] });

    // THEN
    const { config } = userParametersOf(Template.fromStack(stack), 'Deploy');
    expect(config.rollbackAlarms).toEqual([{ arn: arnOf('shared') }]);
    expect(config.stacks[0]).toBe('network');
    expect(config.stacks[1]).toMatchObject({ stackName: 'app', rollbackAlarms: [{ arn: arnOf('app-errors') }], monitoringMinutes: 15 });
  });
});

describe('what the action refuses at synth, and what it says to change', () => {
  const build = (more: Record<string, unknown>) => () => singleAction(more);

  test('GIVEN six rollback alarms WHEN synthesized THEN it fails: CloudFormation takes at most 5; combine them into a composite alarm', () => {
    const stack = new Stack(new App(), 'Alarms', { env: { account: ACCOUNT, region: REGION } });
    const six = Array.from({ length: 6 }, (_, i) => cloudwatch.Alarm.fromAlarmArn(stack, `A${i}`, arnOf(`a${i}`)));
    expect(build({ rollbackAlarms: six })).toThrow(/rollbackAlarms holds 6 alarms; CloudFormation takes at most 5 rollback triggers: combine alarms into a CompositeAlarm/);
  });

  test.each([
    [Duration.minutes(181), /monitoringTime is 3 hours 1 minute; CloudFormation takes whole minutes from 0 to 180: give Duration.minutes\(n\)/],
    [Duration.seconds(90), /monitoringTime is 1 minute 30 seconds; CloudFormation takes whole minutes/],
  ])('GIVEN monitoringTime %s WHEN synthesized THEN it fails naming the range', (time, message) => {
    expect(build({ monitoringTime: time })).toThrow(message);
  });

  test('GIVEN a monitoring time as long as the action\'s timeout WHEN synthesized THEN it fails: the timeout must be longer', () => {
    expect(build({ monitoringTime: Duration.minutes(120) })).toThrow(/monitoringTime of 120 minutes leaves no time within the action's timeout of 120 minutes/);
    expect(build({ monitoringTime: Duration.minutes(120), timeout: Duration.hours(3) })).not.toThrow();
  });

  test.each([
    ['another region', arnOf('far', ACCOUNT, 'us-east-1'), /rollbackAlarms\[0\] is an alarm of account 111111111111, region us-east-1; the deployment reads alarms of the stack's own account and region/],
    ['another account', arnOf('far', '222222222222'), /rollbackAlarms\[0\] is an alarm of account 222222222222, region eu-west-1/],
  ])('GIVEN an alarm of %s WHEN synthesized THEN it fails naming the alarm\'s account and region', (_what, arn, message) => {
    const stack = new Stack(new App(), 'Alarms', { env: { account: ACCOUNT, region: REGION } });
    expect(build({ rollbackAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'Far', arn)] })).toThrow(message);
  });

  test('GIVEN rollback alarms and targetAccountRole WHEN synthesized THEN it fails: not available across accounts yet', () => {
    const stack = new Stack(new App(), 'Alarms', { env: { account: ACCOUNT, region: REGION } });
    expect(build({
      rollbackAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'A', arnOf('a'))],
      targetAccountRole: iam.Role.fromRoleArn(stack, 'Target', 'arn:aws:iam::222222222222:role/deploy'),
      deploymentRole: iam.Role.fromRoleArn(stack, 'Cfn', 'arn:aws:iam::222222222222:role/cfn'),
    })).toThrow(/rollbackAlarms and blockingAlarms are not available with targetAccountRole yet/);
  });
});

describe('blocking alarms', () => {
  test('GIVEN blockingAlarms and whenAlarmFiring FAIL WHEN synthesized THEN UserParameters carry them, and the task function may read them (not the deployment role: they are no triggers)', () => {
    // GIVEN, WHEN
    const { stack, action, template } = deployWith((scope) => ({
      blockingAlarms: [cloudwatch.Alarm.fromAlarmArn(scope, 'Checkout', arnOf('checkout'))],
      whenAlarmFiring: WhenAlarmFiring.FAIL,
    }));

    // THEN
    const { config } = userParametersOf(template, 'Deploy');
    expect(config.blockingAlarms).toEqual([{ arn: arnOf('checkout') }]);
    expect(config.whenAlarmFiring).toBe('FAIL');
    expect(config).not.toHaveProperty('rollbackAlarms');
    const task = statementsOf(template, roleLogicalIdOf(action.taskFunction as any)).filter((s) => s.Action.includes('cloudwatch:DescribeAlarms'));
    expect(task[0].Resource).toEqual([arnOf('checkout')]);
    const deploymentRole = stack.getLogicalId(action.deploymentRole.node.defaultChild as iam.CfnRole);
    expect(statementsOf(template, deploymentRole).filter((s) => s.Action.includes('cloudwatch:DescribeAlarms'))).toEqual([]);
  });

  test('GIVEN 21 blocking alarms WHEN synthesized THEN it fails naming the limit', () => {
    const stack = new Stack(new App(), 'Alarms', { env: { account: ACCOUNT, region: REGION } });
    const many = Array.from({ length: 21 }, (_, i) => cloudwatch.Alarm.fromAlarmArn(stack, `B${i}`, arnOf(`b${i}`)));
    expect(() => singleAction({ blockingAlarms: many })).toThrow(/blockingAlarms holds 21 alarms; the action takes at most 20/);
  });
});

describe('rights', () => {
  test('GIVEN metric rollback alarms WHEN synthesized THEN the task function and the created deployment role may DescribeAlarms on those alarms only', () => {
    // GIVEN, WHEN
    const { stack, action, template } = deployWith((scope) => ({
      rollbackAlarms: [cloudwatch.Alarm.fromAlarmArn(scope, 'A', arnOf('a')), cloudwatch.Alarm.fromAlarmArn(scope, 'B', arnOf('b'))],
    }));

    // THEN
    const reads = (role: string) => statementsOf(template, role).filter((s) => s.Action.includes('cloudwatch:DescribeAlarms'));
    const task = reads(roleLogicalIdOf(action.taskFunction as any));
    expect(task).toHaveLength(1);
    expect(task[0].Action).toEqual(['cloudwatch:DescribeAlarms']);
    expect(task[0].Resource).toEqual([arnOf('a'), arnOf('b')]);
    const deployment = reads(stack.getLogicalId(action.deploymentRole.node.defaultChild as iam.CfnRole));
    expect(deployment[0].Resource).toEqual([arnOf('a'), arnOf('b')]);
    // The claim of docs/security.md, through the offline evaluator: those alarms, that read, nothing else of CloudWatch.
    const all = statementsOf(template, roleLogicalIdOf(action.taskFunction as any)) as unknown as PolicyStatement[];
    expect(evaluate(all, { action: 'cloudwatch:DescribeAlarms', resource: arnOf('a') }).decision).toBe('Allow');
    expect(evaluate(all, { action: 'cloudwatch:DescribeAlarms', resource: arnOf('other') }).decision).toBe('ImplicitDeny');
    for (const other of ['cloudwatch:SetAlarmState', 'cloudwatch:DisableAlarmActions', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms']) {
      expect(evaluate(all, { action: other, resource: arnOf('a') }).decision).toBe('ImplicitDeny');
    }
  });

  test('GIVEN a composite rollback alarm WHEN synthesized THEN DescribeAlarms is on * (CloudWatch returns composite alarms only so), that action alone, with the cdk-nag finding explained', () => {
    // GIVEN, WHEN
    const { action, template } = deployWith((stack) => {
      const errors = metricAlarm(stack, 'Errors');
      return { rollbackAlarms: [new cloudwatch.CompositeAlarm(stack, 'Health', { alarmRule: cloudwatch.AlarmRule.fromAlarm(errors, cloudwatch.AlarmState.ALARM) })] };
    });

    // THEN
    const task = statementsOf(template, roleLogicalIdOf(action.taskFunction as any)).filter((s) => s.Action.includes('cloudwatch:DescribeAlarms'));
    expect(task).toEqual([expect.objectContaining({ Action: ['cloudwatch:DescribeAlarms'], Resource: ['*'] })]);
    const policies = template.findResources('AWS::IAM::Policy');
    const reasons = JSON.stringify(Object.values(policies).map((p) => p.Metadata?.cdk_nag));
    expect(reasons).toContain('A composite rollback alarm');
  });

  test('GIVEN no rollback alarm WHEN synthesized THEN no role may read alarms and UserParameters hold no rollback key (the template of earlier versions)', () => {
    const t = singleAction().template();
    expect(JSON.stringify(t.toJSON())).not.toContain('cloudwatch:DescribeAlarms');
    const { config } = userParametersOf(t, 'Deploy');
    expect(config).not.toHaveProperty('rollbackAlarms');
    expect(config).not.toHaveProperty('monitoringMinutes');
  });
});
