import { Duration, Lazy } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ACCOUNT, REGION, basicProps, newPipeline, newStack, singleAction, userParametersOf } from './helpers';
import { DeployStateMachine, RuleVerdict, SafetyPolicy, StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';
import type { StepFunctionsDeployActionProps } from '../../src';

/** Builds the action in a fresh stack; returns a function for `expect(...).toThrow()`. */
function build(more: Partial<StepFunctionsDeployActionProps> | ((stack: any) => Partial<StepFunctionsDeployActionProps>)) {
  return () => {
    const stack = newStack();
    const { source } = newPipeline(stack);
    const extra = typeof more === 'function' ? more(stack) : more;
    return new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, extra));
  };
}

describe('props validation, with messages that say what to change', () => {
  test.each([
    ['1app', {}, '1app'],
    ['app_1', {}, 'app_1'],
    ['app.prod', {}, 'app.prod'],
    ['', {}, ''],
    ['a'.repeat(129), {}, 'a'.repeat(129)],
    ['app', { environmentName: 'prod_eu' }, 'prod_eu-app'],
    ['app', { environmentName: '1st' }, '1st-app'],
  ])('stack name %j (with %j) is refused', (stackName, more, full) => {
    expect(build({ stackName, ...more })).toThrow(
      `StepFunctionsDeployAction at TestStack/Deploy: stack name "${full}" is invalid: use a letter, then letters, digits or hyphens, 128 characters at most`);
  });

  test.each(['app', 'My-App-2', 'a'.repeat(128)])('stack name %j is accepted', (stackName) => {
    expect(build({ stackName })).not.toThrow();
  });

  test('a stack name from a token is left to the handler', () => {
    expect(build({ stackName: Lazy.string({ produce: () => 'app' }) })).not.toThrow();
  });

  test.each([
    ['../infra/app.yaml', /templatePath must not contain "\." or "\.\." segments/],
    ['infra/../../etc/passwd', /templatePath must not contain "\." or "\.\." segments/],
    ['./infra/app.yaml', /templatePath must not contain "\." or "\.\." segments/],
    ['/infra/app.yaml', /templatePath must be relative to the artifact root, not start with "\/"/],
    ['infra\\app.yaml', /templatePath must use forward slashes/],
    ['', /templatePath is empty/],
  ])('templatePath %j is refused', (templatePath, message) => {
    expect(build({ templatePath: new codepipeline.Artifact('PipelineSource').atPath(templatePath) })).toThrow(message);
  });

  test('templateConfiguration is checked like templatePath', () => {
    const config = (path: string) => ({ templateConfiguration: new codepipeline.Artifact('PipelineSource').atPath(path) });
    expect(build(config('../config.json'))).toThrow(/templateConfiguration must not contain "\." or "\.\." segments/);
    expect(build(config('/config.json'))).toThrow(/templateConfiguration must be relative/);
    expect(build(config('infra/config.json'))).not.toThrow();
  });

  test('inputFileBucket without inputFileKey is refused, and the other way round', () => {
    expect(build((stack) => ({ inputFileBucket: new s3.Bucket(stack, 'Config') })))
      .toThrow('StepFunctionsDeployAction at TestStack/Deploy: give inputFileBucket and inputFileKey together');
    expect(build({ inputFileKey: 'deploy.json' })).toThrow('StepFunctionsDeployAction at TestStack/Deploy: give inputFileBucket and inputFileKey together');
  });

  test.each([Duration.seconds(0), Duration.minutes(6), Duration.seconds(301)])('pollInterval %s is refused', (pollInterval) => {
    expect(build({ pollInterval })).toThrow(/pollInterval must be a whole number of seconds from 1 to 300/);
  });

  test.each([Duration.seconds(1), Duration.seconds(300)])('pollInterval %s is accepted', (pollInterval) => {
    expect(build({ pollInterval })).not.toThrow();
  });

  test.each([Duration.hours(24), Duration.minutes(23 * 60 + 1), Duration.days(2)])('timeout %s is refused (over 23 hours)', (timeout) => {
    expect(build({ timeout })).toThrow(/timeout must be a whole number of minutes from 1 to 1380 \(CodePipeline allows a Lambda action 24 hours\)/);
  });

  test.each([Duration.seconds(30), Duration.seconds(90)])('timeout %s is refused (not whole minutes)', (timeout) => {
    expect(build({ timeout })).toThrow(/timeout must be a whole number of minutes/);
  });

  test('timeout of 23 hours is accepted and travels in minutes', () => {
    const { template } = singleAction({ timeout: Duration.hours(23) });
    expect(userParametersOf(template(), 'Deploy').config.timeoutMinutes).toBe(1380);
  });

  test('a configuration over 1,000 UserParameters characters is refused, pointing at the S3 input file', () => {
    const parameterOverrides: Record<string, string> = {};
    for (let i = 0; i < 20; i++) parameterOverrides[`Parameter${i}`] = `a-rather-long-value-for-parameter-number-${i}`;

    expect(build({ parameterOverrides })).toThrow(/over CodePipeline's 1000 for UserParameters/);
    expect(build({ parameterOverrides })).toThrow(/S3 input file \(inputFileBucket \+ inputFileKey\)/);
  });

  test('the estimate counts the deployment role ARN token at 128 characters, not at the token\'s own length', () => {
    // 11 tags of 60 characters: about 920 characters with the token's placeholder text, about 1,010 with a
    // real role ARN of 128 characters. 10 tags fit either way.
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`tag${i}`, 'v'.repeat(60)]));
    expect(build({ tags: tags(10) })).not.toThrow();
    expect(build({ tags: tags(11) })).toThrow(/needs about 10\d\d characters, over CodePipeline's 1000/);
  });

  test('a typical configuration fits', () => {
    const { template } = singleAction({
      environmentName: 'prod',
      parameterOverrides: { InstanceType: 't3.micro', DesiredCount: '2' },
      tags: { team: 'platform', costCenter: '1234' },
    });
    expect(userParametersOf(template(), 'Deploy').config).toMatchObject({
      parameterOverrides: { InstanceType: 't3.micro', DesiredCount: '2' },
      tags: { team: 'platform', costCenter: '1234' },
    });
  });

  test('empty parameterOverrides and tags are left out of UserParameters', () => {
    const { template } = singleAction({ parameterOverrides: {}, tags: {} });
    const { config } = userParametersOf(template(), 'Deploy');
    expect(config).not.toHaveProperty('parameterOverrides');
    expect(config).not.toHaveProperty('tags');
  });
});

describe('every validation error names where it comes from, in one style', () => {
  const prefix = /^(StepFunctionsDeployAction at TestStack\/Deploy|DeployStateMachine(\.of)?|SafetyPolicy\.\w+|UnsafeChangeAction\.\w+): /;
  test.each([
    ['a stack name', build({ stackName: '1app' })],
    ['a poll interval', build({ pollInterval: Duration.millis(1500) })],
    ['replacement globs', () => SafetyPolicy.denyDestructiveChanges({ allowReplacementOfResourceTypes: [] })],
    ['a destructive verdict', () => SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: 'NO' as RuleVerdict })],
    ['an ALLOW destructive verdict', () => SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.ALLOW })],
    ['a default verdict', () => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, logicalIds: ['Db*'] }], { defaultVerdict: 'NO' as RuleVerdict })],
    ['a rule without criteria', () => SafetyPolicy.fromRules([{ verdict: RuleVerdict.ALLOW }])],
    ['a rule', () => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, actions: [] }])],
    ['no rules', () => SafetyPolicy.fromRules([])],
    ['a stack name suffix', () => UnsafeChangeAction.deployToNewStack({ stackNameSuffix: 'a b' })],
    ['an approval timeout', () => UnsafeChangeAction.requireApproval({ notificationTopic: {} as sns.ITopic, timeout: Duration.seconds(10) })],
    ['an execution timeout', () => new DeployStateMachine(newStack(), 'W', { executionTimeout: Duration.hours(24) })],
  ])('%s', (_what, bad) => {
    expect(bad).toThrow(prefix);
  });
});

describe('an approval needs a policy that can ask for one', () => {
  const approval = (stack: any) => UnsafeChangeAction.requireApproval({ notificationTopic: new sns.Topic(stack, 'Approvers') });
  test('GIVEN the default policy (it never asks) THEN the action is refused, naming the policies that can ask', () => {
    expect(build((stack) => ({ onUnsafeChange: approval(stack) }))).toThrow(
      /StepFunctionsDeployAction at TestStack\/Deploy: onUnsafeChange requireApproval\(\) needs a policy that can ask for approval: .*permissionBroadeningVerdict RuleVerdict.REQUIRE_APPROVAL/);
  });
  test.each<[string, SafetyPolicy]>([
    ['destructive changes', SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL })],
    ['widened permissions', SafetyPolicy.denyDestructiveChanges({ permissionBroadeningVerdict: RuleVerdict.REQUIRE_APPROVAL })],
    ['a rule', SafetyPolicy.fromRules([{ verdict: RuleVerdict.REQUIRE_APPROVAL, broadensPermissions: true }], { defaultVerdict: RuleVerdict.ALLOW })],
  ])('GIVEN a policy that asks for %s THEN the action is built', (_what, safetyPolicy) => {
    expect(build((stack) => ({ safetyPolicy, onUnsafeChange: approval(stack) }))).not.toThrow();
  });
});

test('GIVEN an object that only looks like a policy or a strategy THEN the action is refused, not built with the default', () => {
  const fake = { _bind: () => ({ canRequireApproval: false, grantRights: () => undefined }) };
  expect(build({ safetyPolicy: fake as unknown as SafetyPolicy })).toThrow(/must come from SafetyPolicy and UnsafeChangeAction's static methods/);
  expect(build({ onUnsafeChange: fake as unknown as UnsafeChangeAction })).toThrow(/must come from SafetyPolicy and UnsafeChangeAction's static methods/);
});

describe('a strategy comes only from UnsafeChangeAction\'s static methods, with options they check', () => {
  test('GIVEN an object of the class that no static method made THEN the action is refused, naming the methods', () => {
    const made = Object.create(UnsafeChangeAction.prototype) as UnsafeChangeAction;
    expect(build({ onUnsafeChange: made })).toThrow(
      'UnsafeChangeAction: use UnsafeChangeAction.fail(), deployToNewStack() or requireApproval(); subclasses are not supported');
  });
  test.each(['a b', '', 'x'.repeat(41), 'green_1'])('GIVEN the stack name suffix %j THEN deployToNewStack() refuses it, saying what it must be', (suffix) => {
    expect(() => UnsafeChangeAction.deployToNewStack({ stackNameSuffix: suffix })).toThrow(
      `UnsafeChangeAction.deployToNewStack: stackNameSuffix "${suffix}" must be 1 to 40 letters, digits or hyphens`);
  });
  test.each([Duration.seconds(59), Duration.hours(21), Duration.millis(60_500)])('GIVEN an approval timeout of %s THEN requireApproval() refuses it', (timeout) => {
    expect(() => UnsafeChangeAction.requireApproval({ notificationTopic: {} as sns.ITopic, timeout })).toThrow(
      'UnsafeChangeAction.requireApproval: timeout must be whole seconds from 1 minute to 20 hours');
  });
  test.each([Duration.minutes(1), Duration.hours(20)])('GIVEN an approval timeout of %s THEN requireApproval() takes it', (timeout) => {
    expect(() => UnsafeChangeAction.requireApproval({ notificationTopic: {} as sns.ITopic, timeout })).not.toThrow();
  });
});

describe('a policy that asks for approval under a strategy that asks no one is named at synth', () => {
  const approvalWarnings = (stack: Stack) => Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('approvalWithoutApprover'))
    .map((w) => ({ path: w.id, text: String(w.entry.data) }));
  const asks = SafetyPolicy.fromRules([{ verdict: RuleVerdict.REQUIRE_APPROVAL, resourceTypes: ['AWS::IAM::*'] }], { defaultVerdict: RuleVerdict.ALLOW });
  test.each<[string, SafetyPolicy, UnsafeChangeAction | undefined]>([
    ['a REQUIRE_APPROVAL rule and the default strategy', asks, undefined],
    ['a REQUIRE_APPROVAL rule and fail()', asks, UnsafeChangeAction.fail()],
    ['destructiveChangeVerdict REQUIRE_APPROVAL', SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }), undefined],
  ])('GIVEN %s THEN a warning says such changes fail as if denied, and what to do', (_what, safetyPolicy, onUnsafeChange) => {
    const { stack } = singleAction({ safetyPolicy, ...(onUnsafeChange ? { onUnsafeChange } : {}) });
    const warnings = approvalWarnings(stack);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].path).toBe('/TestStack/Deploy');
    expect(warnings[0].text).toMatch(/^StepFunctionsDeployAction at TestStack\/Deploy: the safety policy gives some changes REQUIRE_APPROVAL, but onUnsafeChange is UnsafeChangeAction\.fail\(\)/);
    expect(warnings[0].text).toMatch(/fails the action as if it were denied/);
    expect(warnings[0].text).toMatch(/UnsafeChangeAction\.requireApproval\(\.\.\.\).*RuleVerdict\.DENY/);
  });
  test.each<[string, (stack: Stack) => Partial<StepFunctionsDeployActionProps>]>([
    ['the default policy (it never asks)', () => ({})],
    ['a policy that asks, with requireApproval()', (stack) => ({
      safetyPolicy: asks, onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: new sns.Topic(stack, 'Approvers') }),
    })],
    ['a function policy (its answers are not known at synth)', (stack) => ({
      safetyPolicy: SafetyPolicy.fromFunction(lambda.Function.fromFunctionArn(stack, 'Policy', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:policy`)),
    })],
  ])('GIVEN %s THEN there is no such warning', (_what, more) => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    pipeline.addStage({ stageName: 'Deploy', actions: [new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, more(stack)))] });
    expect(approvalWarnings(stack)).toEqual([]);
  });
});

describe('two actions that deploy one stack are refused at synth, naming both and the stack', () => {
  test.each<[string, Partial<StepFunctionsDeployActionProps>, Partial<StepFunctionsDeployActionProps>, string]>([
    ['the same stackName', { stackName: 'app' }, { stackName: 'app' }, 'app'],
    ['stackName app with environmentName prod beside stackName prod-app', { stackName: 'app', environmentName: 'prod' }, { stackName: 'prod-app' }, 'prod-app'],
    ['a unit\'s stack beside a single stack', { stackName: undefined, templatePath: undefined, stacks: [] }, { stackName: 'db' }, 'db'],
  ])('GIVEN %s THEN synth is refused', (_what, first, second, full) => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const firstProps = first.stacks
      ? { ...first, stacks: [{ stackName: 'app', templatePath: source.atPath('app.json') }, { stackName: 'db', templatePath: source.atPath('db.json') }] }
      : first;
    pipeline.addStage({
      stageName: 'Deploy',
      actions: [
        new StepFunctionsDeployAction(stack, 'DeployOne', basicProps(source, { actionName: 'One', ...firstProps })),
        new StepFunctionsDeployAction(stack, 'DeployTwo', basicProps(source, { actionName: 'Two', ...second })),
      ],
    });
    expect(() => Template.fromStack(stack)).toThrow(
      `stack ${full} is deployed by two actions, TestStack/DeployOne and TestStack/DeployTwo: each would deploy its own template over the other's`);
  });

  test('GIVEN two actions on different stacks, and the same stack name under another environmentName THEN synth succeeds', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    pipeline.addStage({
      stageName: 'Deploy',
      actions: [
        new StepFunctionsDeployAction(stack, 'DeployTest', basicProps(source, { actionName: 'Test', environmentName: 'test' })),
        new StepFunctionsDeployAction(stack, 'DeployProd', basicProps(source, { actionName: 'Prod', environmentName: 'prod' })),
      ],
    });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});
