/**
 * ChangeSetReviewStep in a CDK Pipelines pipeline: where its action runs (after the prepare action, before the
 * deploy action, by run order), what it is configured with, the rights it gets in the pipeline's account and in
 * other accounts, the layouts it refuses, and one shared workflow for every step and action of the stack.
 */
import { App, Aspects, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { logicalIdOf, roleLogicalIdOf, statementsOf, userParametersOf } from './helpers';
import { AppStage, PIPELINE_ENV, cdkPipeline, stageActions } from './pipelines-app';
import { resolveIntrinsics } from '../../demo/lib/intrinsics';
import { ChangeSetReviewStep, DeployStateMachine, RuleVerdict, SafetyPolicy, UnsafeChangeAction } from '../../src';
import type { ChangeSetReviewStepProps } from '../../src';

const OTHER_ACCOUNT = '222222222222';

function runOrder(template: Template, stage: string, action: string): number {
  const found = stageActions(template, stage).find((a) => a.name === action);
  if (!found) throw new Error(`no action ${action} in ${stage}: ${stageActions(template, stage).map((a) => a.name).join(', ')}`);
  return found.runOrder;
}

function reviewConfig(template: Template, stage: string) {
  const lambdas = stageActions(template, stage).filter((a) => a.provider === 'Lambda');
  expect(lambdas).toHaveLength(1);
  return userParametersOf(template, lambdas[0].name);
}

function taskStatements(stack: Stack, template: Template) {
  return statementsOf(template, roleLogicalIdOf(DeployStateMachine.of(stack).taskFunction));
}

describe('one stack', () => {
  function oneStack(props: (pipelineStack: Stack) => ChangeSetReviewStepProps = () => ({})) {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true });
    p.pipeline.addStage(stage, { stackSteps: [{ stack: stage.data, changeSet: [new ChangeSetReviewStep('Review', props(p.stack))] }] });
    return { ...p, template: p.template() };
  }

  test('GIVEN the step in a stack\'s changeSet steps WHEN the pipeline is built THEN its action runs after the stack\'s prepare action and before its deploy action', () => {
    const { template } = oneStack();
    expect(runOrder(template, 'Prod', 'Prepare')).toBeLessThan(runOrder(template, 'Prod', 'Review'));
    expect(runOrder(template, 'Prod', 'Review')).toBeLessThan(runOrder(template, 'Prod', 'Deploy'));
    const review = stageActions(template, 'Prod').find((a) => a.name === 'Review')!;
    expect(review.provider).toBe('Lambda');
  });

  test('its configuration names the change set CDK Pipelines prepares and the stack, with the default policy and nothing to create a change set with', () => {
    const { template } = oneStack();
    const prepare = stageActions(template, 'Prod').find((a) => a.name === 'Prepare')!;
    const { config } = reviewConfig(template, 'Prod');
    expect(config).toEqual({ v: 1, prepared: prepare.configuration.ChangeSetName, stacks: [prepare.configuration.StackName], policy: { type: 'denyDestructive' } });
    expect(config.prepared).toBe('PipelineChange');
  });

  test('a policy, an approval and a timeout are written as the action writes them', () => {
    const { template } = oneStack((stack) => ({
      safetyPolicy: SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }),
      onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: new sns.Topic(stack, 'Approvers'), timeout: Duration.hours(1) }),
      timeout: Duration.hours(3),
    }));
    const { config } = reviewConfig(template, 'Prod');
    expect(config.onUnsafe).toMatchObject({ type: 'requireApproval', timeoutSeconds: 3600 });
    expect(config.policy).toEqual({ type: 'denyDestructive', destructiveVerdict: 'REQUIRE_APPROVAL' });
    expect(config.timeoutMinutes).toBe(180);
  });

  test('GIVEN a stack of the pipeline\'s account WHEN the rights are granted THEN the task function may read that stack and its change sets and delete a refused one, and nothing more there', () => {
    const { stack, template } = oneStack();
    const all = taskStatements(stack, template);
    const read = all.filter((s) => s.Sid === 'ReadPreparedChangeSets');
    expect(read).toHaveLength(1);
    expect(read[0].Action.sort()).toEqual(['cloudformation:DescribeChangeSet', 'cloudformation:DescribeStacks']);
    expect(JSON.stringify(read[0].Resource)).toContain(`:cloudformation:${PIPELINE_ENV.region}:${PIPELINE_ENV.account}:stack/Prod-Data/*`);
    // Deleting: the pipeline's change set of that stack only.
    const deleting = all.filter((s) => s.Action.includes('cloudformation:DeleteChangeSet'));
    expect(deleting).toHaveLength(1);
    expect(deleting[0].Action).toEqual(['cloudformation:DeleteChangeSet']);
    expect(deleting[0].Condition).toEqual({ StringEquals: { 'cloudformation:ChangeSetName': 'PipelineChange' } });
    expect(JSON.stringify(deleting[0].Resource)).toContain(':stack/Prod-Data/*');
    // No statement lets it create or execute a change set, or assume a role.
    expect(all.flatMap((s) => s.Action)).not.toEqual(expect.arrayContaining(['cloudformation:ExecuteChangeSet']));
    expect(all.flatMap((s) => s.Action)).not.toContain('cloudformation:CreateChangeSet');
    expect(all.flatMap((s) => s.Action)).not.toContain('sts:AssumeRole');
  });

  test('deployToNewStack is refused at synth: CDK Pipelines deploys the stack', () => {
    expect(() => oneStack(() => ({ onUnsafeChange: UnsafeChangeAction.deployToNewStack() })))
      .toThrow(/ChangeSetReviewStep Review at PipelineStack\/Pipeline\/Pipeline\/Prod\/ReviewChangeSetReview: UnsafeChangeAction.deployToNewStack\(\) is not available: CDK Pipelines deploys the stack; use UnsafeChangeAction.fail\(\) or requireApproval\(\)$/);
  });

  test('GIVEN a policy that asks for approval and the default fail() THEN a warning at the review says such changes fail as if denied', () => {
    const safetyPolicy = SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL });
    const { stack } = oneStack(() => ({ safetyPolicy }));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('approvalWithoutApprover'));
    expect(warnings.map((w) => w.id)).toEqual(['/PipelineStack/Pipeline/Pipeline/Prod/ReviewChangeSetReview']);
    expect(String(warnings[0].entry.data)).toMatch(
      /^ChangeSetReviewStep Review at PipelineStack\/Pipeline\/Pipeline\/Prod\/ReviewChangeSetReview: the safety policy gives some changes REQUIRE_APPROVAL, but onUnsafeChange is UnsafeChangeAction\.fail\(\) \(the default\)/);
  });

  test('a bad timeout is refused when the step is made', () => {
    expect(() => new ChangeSetReviewStep('Review', { timeout: Duration.seconds(90) })).toThrow(/timeout must be a whole number of minutes/);
  });
});

describe('the stage-level form', () => {
  test('GIVEN ChangeSetReviewStep.forStage WHEN the pipeline is built THEN one action reviews every stack, after all prepare actions and before any deploy action', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
    const template = p.template();
    const actions = stageActions(template, 'Prod');
    const review = actions.filter((a) => a.provider === 'Lambda');
    expect(review).toHaveLength(1);
    const prepares = actions.filter((a) => a.configuration.ActionMode === 'CHANGE_SET_REPLACE');
    const deploys = actions.filter((a) => a.configuration.ActionMode === 'CHANGE_SET_EXECUTE');
    expect(prepares).toHaveLength(2);
    expect(deploys).toHaveLength(2);
    expect(Math.max(...prepares.map((a) => a.runOrder))).toBeLessThan(review[0].runOrder);
    expect(Math.min(...deploys.map((a) => a.runOrder))).toBeGreaterThan(review[0].runOrder);
    expect(reviewConfig(template, 'Prod').config.stacks).toEqual(['Prod-Data', 'Prod-Topics']);
  });

  test('GIVEN forStage on a stage of two stacks WHEN the pipeline is built THEN its action is named by the step\'s id, as it reviews the stage, not after the first stack', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
    const names = stageActions(p.template(), 'Prod').map((a) => a.name);
    // CDK Pipelines would name it after the stack whose steps it is found in first: Data.ReviewChangeSets.
    expect(names).toEqual(expect.arrayContaining(['Data.Prepare', 'Topics.Prepare', 'ReviewChangeSets', 'Data.Deploy', 'Topics.Deploy']));
    expect(names.filter((n) => /Review/.test(n))).toEqual(['ReviewChangeSets']);
  });

  test('GIVEN one step listed by hand for two stacks of a stage, with an id CodePipeline does not take as a name THEN the action is named by the id, made a valid name', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    const step = new ChangeSetReviewStep('Review data + topics');
    p.pipeline.addStage(stage, { stackSteps: [{ stack: stage.data, changeSet: [step] }, { stack: stage.topics!, changeSet: [step] }] });
    const template = p.template();
    expect(runOrder(template, 'Prod', 'Data.Prepare')).toBeLessThan(runOrder(template, 'Prod', 'Review_data_topics'));
    expect(runOrder(template, 'Prod', 'Topics.Prepare')).toBeLessThan(runOrder(template, 'Prod', 'Review_data_topics'));
    expect(runOrder(template, 'Prod', 'Review_data_topics')).toBeLessThan(runOrder(template, 'Prod', 'Data.Deploy'));
    expect(runOrder(template, 'Prod', 'Review_data_topics')).toBeLessThan(runOrder(template, 'Prod', 'Topics.Deploy'));
    expect(reviewConfig(template, 'Prod').config.stacks).toEqual(['Prod-Data', 'Prod-Topics']);
  });

  test('GIVEN forStage with a step id longer than CodePipeline\'s 100 characters THEN synth refuses it, saying to shorten it', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage, { stepId: 'R'.repeat(101) }) });
    expect(() => p.template()).toThrow(/CodePipeline allows at most 100 characters in an action name, not 101: give the step a shorter id/);
  });

  test('GIVEN stacks of a stage that depend on one another WHEN forStage is asked THEN it refuses, naming both and saying why and what to do', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'dependent' });
    expect(() => ChangeSetReviewStep.forStage(stage)).toThrow(
      /stack Prod-Topics depends on Prod-Data, a stack of the same stage: CDK Pipelines prepares Prod-Topics's change set only after Prod-Data is deployed.*a step each/);
  });

  test('GIVEN stacks of a stage where one uses another\'s value (a reference, no explicit dependency) WHEN forStage is asked THEN it refuses too', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    const events = stage.data.node.findChild('Events') as sns.Topic;
    new sns.Subscription(stage.topics!, 'Forward', { topic: events, protocol: sns.SubscriptionProtocol.SQS, endpoint: 'arn:aws:sqs:eu-west-1:111111111111:q' });
    expect(stage.topics!.dependencies).toEqual([]);
    expect(() => ChangeSetReviewStep.forStage(stage)).toThrow(/forStage: stack Prod-Topics depends on Prod-Data, a stack of the same stage/);
  });

  describe('the pipeline\'s execution mode', () => {
    function withMode(configure: (inner: codepipeline.Pipeline, stack: Stack) => void) {
      const app = new App();
      const stack = new Stack(app, 'PipelineStack', { env: PIPELINE_ENV });
      const inner = new codepipeline.Pipeline(stack, 'Inner', { pipelineType: codepipeline.PipelineType.V2 });
      const pipeline = new pipelines.CodePipeline(stack, 'Pipeline', {
        codePipeline: inner,
        synth: new pipelines.ShellStep('Synth', { input: pipelines.CodePipelineSource.s3(new s3.Bucket(stack, 'Source'), 'source.zip'), commands: ['npx cdk synth'] }),
      });
      const stage = new AppStage(app, 'Prod', { withTable: true });
      pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
      pipeline.buildPipeline();
      configure(inner, stack);
      return () => app.synth();
    }
    const cfn = (inner: codepipeline.Pipeline) => inner.node.defaultChild as codepipeline.CfnPipeline;
    const REFUSED = /ChangeSetReviewStep: the pipeline's execution mode is .*another run can replace a change set between its review and its deploy action/;

    test('PARALLEL is refused at synth: another run could replace a reviewed change set before its deploy action', () => {
      expect(withMode((inner) => { cfn(inner).executionMode = 'PARALLEL'; })).toThrow(REFUSED);
    });
    test('PARALLEL given as a property override is refused too', () => {
      expect(withMode((inner) => cfn(inner).addPropertyOverride('ExecutionMode', 'PARALLEL'))).toThrow(REFUSED);
    });
    test('a mode not known at synth (a parameter) is refused: it may be PARALLEL', () => {
      expect(withMode((inner, stack) => { cfn(inner).executionMode = new CfnParameter(stack, 'Mode').valueAsString; })).toThrow(REFUSED);
    });
    test('SUPERSEDED (the default) and QUEUED are accepted', () => {
      expect(withMode(() => undefined)).not.toThrow();
      expect(withMode((inner) => { cfn(inner).executionMode = 'QUEUED'; })).not.toThrow();
      expect(withMode((inner) => { cfn(inner).executionMode = 'SUPERSEDED'; })).not.toThrow();
    });
  });

  test('one step each for dependent stacks is fine: each runs between its own stack\'s prepare and deploy actions', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'dependent' });
    p.pipeline.addStage(stage, {
      stackSteps: [
        { stack: stage.data, changeSet: [new ChangeSetReviewStep('ReviewData')] },
        { stack: stage.topics!, changeSet: [new ChangeSetReviewStep('ReviewTopics')] },
      ],
    });
    const template = p.template();
    expect(runOrder(template, 'Prod', 'Data.Prepare')).toBeLessThan(runOrder(template, 'Prod', 'Data.ReviewData'));
    expect(runOrder(template, 'Prod', 'Data.ReviewData')).toBeLessThan(runOrder(template, 'Prod', 'Data.Deploy'));
    expect(runOrder(template, 'Prod', 'Data.Deploy')).toBeLessThan(runOrder(template, 'Prod', 'Topics.Prepare'));
    expect(runOrder(template, 'Prod', 'Topics.Prepare')).toBeLessThan(runOrder(template, 'Prod', 'Topics.ReviewTopics'));
    expect(runOrder(template, 'Prod', 'Topics.ReviewTopics')).toBeLessThan(runOrder(template, 'Prod', 'Topics.Deploy'));
  });

  test('one step listed by hand for dependent stacks of a stage: CDK Pipelines itself refuses the layout (a dependency cycle through the step)', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'dependent' });
    const step = new ChangeSetReviewStep('Review');
    p.pipeline.addStage(stage, { stackSteps: [{ stack: stage.data, changeSet: [step] }, { stack: stage.topics!, changeSet: [step] }] });
    expect(() => p.template()).toThrow(/Dependency cycle in graph: .*Review/);
  });

  test('the step in pre steps is refused: there is no prepared change set to review there', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true });
    p.pipeline.addStage(stage, { pre: [new ChangeSetReviewStep('Review')] });
    expect(() => p.template()).toThrow(/belongs in the changeSet steps of stacks/);
  });

  test('one step in two stages of a wave is refused: each stage gets its own', () => {
    const p = cdkPipeline();
    const step = new ChangeSetReviewStep('Review');
    const wave = p.pipeline.addWave('Regions');
    const west = new AppStage(p.app, 'West', { withTable: true });
    const east = new AppStage(p.app, 'East', { withTable: true });
    wave.addStage(west, { stackSteps: [{ stack: west.data, changeSet: [step] }] });
    wave.addStage(east, { stackSteps: [{ stack: east.data, changeSet: [step] }] });
    expect(() => p.template()).toThrow(/ChangeSetReviewStep Review at PipelineStack\/Pipeline\/Pipeline\/Regions\/West.Data.ReviewChangeSetReview: one step reviews stacks of one stage, but it is in stages West, East/);
  });

  test('one step in two stages one after the other: CDK Pipelines itself refuses the layout (a dependency cycle through the step)', () => {
    const p = cdkPipeline();
    const step = new ChangeSetReviewStep('Review');
    const test1 = new AppStage(p.app, 'Test', { withTable: true });
    const prod = new AppStage(p.app, 'Prod', { withTable: true });
    p.pipeline.addStage(test1, { stackSteps: [{ stack: test1.data, changeSet: [step] }] });
    p.pipeline.addStage(prod, { stackSteps: [{ stack: prod.data, changeSet: [step] }] });
    expect(() => p.template()).toThrow(/Dependency cycle in graph: .*Review/);
  });
});

describe('stacks in another account or region', () => {
  function crossAccount() {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent', env: { account: OTHER_ACCOUNT, region: 'us-west-2' } });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
    return { ...p, template: p.template() };
  }

  test('GIVEN stacks in another account and region WHEN the pipeline is built THEN each is read through that account\'s CDK bootstrap deploy role (the one CDK Pipelines prepares it with), in its region', () => {
    const { template } = crossAccount();
    const { config, tokens } = reviewConfig(template, 'Prod');
    const prepare = stageActions(template, 'Prod').find((a) => a.name === 'Data.Prepare')!;
    // The stage's stacks share the account and region: the role and the region are written once, for both.
    expect(config.stacks).toEqual(['Prod-Data', 'Prod-Topics']);
    expect(config.region).toBe('us-west-2');
    const role = config.assumeRoleArn.replace(/__TOKEN_\d+__/g, (m: string) => JSON.stringify(tokens[m]));
    expect(role).toBe(`arn:{"Ref":"AWS::Partition"}:iam::${OTHER_ACCOUNT}:role/cdk-hnb659fds-deploy-role-${OTHER_ACCOUNT}-us-west-2`);
    // The very role CDK Pipelines' prepare action runs as.
    expect(JSON.stringify(prepare.roleArn)).toContain(`cdk-hnb659fds-deploy-role-${OTHER_ACCOUNT}-us-west-2`);
  });

  test('stacks of one stage in two accounts: each names its own role', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, env: { account: OTHER_ACCOUNT, region: 'us-west-2' } });
    const other = new Stack(stage, 'Audit', { env: { account: '333333333333', region: 'us-west-2' } });
    new sns.Topic(other, 'Trail');
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
    const { config } = reviewConfig(p.template(), 'Prod');
    expect(config.assumeRoleArn).toBeUndefined();
    expect(config.stacks.map((s: any) => [s.stackName, s.region, /deploy-role-(\d+)-/.exec(s.assumeRoleArn)?.[1]]).sort()).toEqual([
      ['Prod-Audit', 'us-west-2', '333333333333'], ['Prod-Data', 'us-west-2', OTHER_ACCOUNT],
    ]);
  });

  test('a stage of 20 stacks in another account fits: the role is written once', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, env: { account: OTHER_ACCOUNT, region: 'us-west-2' } });
    for (let i = 0; i < 19; i++) new sns.Topic(new Stack(stage, `ServiceNumber${i}`), 'Topic');
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
    expect(reviewConfig(p.template(), 'Prod').config.stacks).toHaveLength(20);
  });

  test('the task function may assume exactly that role, and gets no CloudFormation rights of its own on those stacks', () => {
    const { stack, template } = crossAccount();
    const statements = taskStatements(stack, template);
    const assume = statements.filter((s) => s.Action.includes('sts:AssumeRole'));
    expect(assume.length).toBeGreaterThan(0);
    for (const s of assume) {
      for (const r of s.Resource) expect(JSON.stringify(r)).toContain(`:iam::${OTHER_ACCOUNT}:role/cdk-hnb659fds-deploy-role-${OTHER_ACCOUNT}-us-west-2`);
    }
    expect(statements.some((s) => s.Sid === 'ReadPreparedChangeSets' || s.Action.includes('cloudformation:DeleteChangeSet'))).toBe(false);
  });

  test('the task function knows those roles as review roles (its environment), which it assumes for reviews only', () => {
    const { stack, template } = crossAccount();
    const task = template.findResources('AWS::Lambda::Function')[logicalIdOf(DeployStateMachine.of(stack).taskFunction)];
    expect(JSON.stringify(task.Properties.Environment.Variables.REVIEW_ROLES)).toContain(`cdk-hnb659fds-deploy-role-${OTHER_ACCOUNT}-us-west-2`);
    // No other function has them.
    const others = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id !== logicalIdOf(DeployStateMachine.of(stack).taskFunction));
    expect(others.length).toBeGreaterThan(0);
    for (const [, f] of others) expect(f.Properties.Environment?.Variables?.REVIEW_ROLES).toBeUndefined();
  });

  test('the role in the function\'s environment and the role in the review\'s configuration are the same text once deployed', () => {
    const { stack, template } = crossAccount();
    const task = template.findResources('AWS::Lambda::Function')[logicalIdOf(DeployStateMachine.of(stack).taskFunction)];
    const deployed = (value: unknown) => JSON.parse(resolveIntrinsics(value, template.toJSON().Resources));
    const [[roleInEnvironment, stacks]] = deployed(task.Properties.Environment.Variables.REVIEW_ROLES);
    const { config } = reviewConfig(template, 'Prod');
    const action = stageActions(template, 'Prod').find((a) => a.provider === 'Lambda')!;
    expect(roleInEnvironment).toBe(deployed(action.configuration.UserParameters).assumeRoleArn);
    expect(roleInEnvironment).toBe(`arn:aws:iam::${OTHER_ACCOUNT}:role/cdk-hnb659fds-deploy-role-${OTHER_ACCOUNT}-us-west-2`);
    expect(stacks).toEqual(config.stacks);
  });

  test('GIVEN a StepFunctionsDeployAction whose targetAccountRole is a role a step reviews through WHEN synthesized THEN it is refused: the function assumes review roles for reviews only', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, env: { account: OTHER_ACCOUNT, region: 'us-west-2' } });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
    p.pipeline.buildPipeline();
    const deployRole = iam.Role.fromRoleArn(p.stack, 'SameRole', `arn:aws:iam::${OTHER_ACCOUNT}:role/cdk-hnb659fds-deploy-role-${OTHER_ACCOUNT}-us-west-2`);
    DeployStateMachine.of(p.stack)._grantAssumeRole(deployRole);
    expect(() => p.app.synth()).toThrow(/is both a StepFunctionsDeployAction's targetAccountRole and a role a ChangeSetReviewStep reads change sets through/);
  });

  test('a stack of the pipeline\'s account in another region is read with the function\'s own rights in that region', () => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Dr', { withTable: true, env: { account: PIPELINE_ENV.account, region: 'us-east-2' } });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
    const template = p.template();
    expect(reviewConfig(template, 'Dr').config).toMatchObject({ stacks: ['Dr-Data'], region: 'us-east-2' });
    expect(reviewConfig(template, 'Dr').config.assumeRoleArn).toBeUndefined();
    const review = taskStatements(p.stack, template).find((s) => s.Sid === 'ReadPreparedChangeSets')!;
    expect(JSON.stringify(review.Resource)).toContain(`:cloudformation:us-east-2:${PIPELINE_ENV.account}:stack/Dr-Data/*`);
  });
});

test('GIVEN two stages with review steps and a StepFunctionsDeployAction\'s workflow in the pipeline stack WHEN built THEN the stack holds one workflow: one state machine, four functions (trigger, task, stack events, approval)', () => {
  const p = cdkPipeline();
  const test1 = new AppStage(p.app, 'Test', { withTable: true, topics: 'independent' });
  const prod = new AppStage(p.app, 'Prod', { withTable: true });
  p.pipeline.addStage(test1, { stackSteps: ChangeSetReviewStep.forStage(test1) });
  p.pipeline.addStage(prod, { stackSteps: [{ stack: prod.data, changeSet: [new ChangeSetReviewStep('Review')] }] });
  const template = p.template();
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  template.resourceCountIs('AWS::Lambda::Function', 4);
  // Both review actions invoke the one trigger function.
  const triggers = ['Test', 'Prod'].map((stage) => stageActions(template, stage).find((a) => a.provider === 'Lambda')!.configuration.FunctionName);
  expect(triggers[0]).toEqual(triggers[1]);
});

test('cdk-nag: the AwsSolutions and Serverless packs find nothing on the library\'s resources in a CDK Pipelines stack (and do find CDK Pipelines\' own)', () => {
  const app = new App();
  const p = cdkPipeline(app);
  const stage = new AppStage(app, 'Prod', { withTable: true, topics: 'independent', env: { account: OTHER_ACCOUNT, region: 'us-west-2' } });
  p.pipeline.addStage(stage, {
    stackSteps: ChangeSetReviewStep.forStage(stage, {
      safetyPolicy: SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }),
      onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: new sns.Topic(p.stack, 'Approvers', { enforceSSL: true }) }),
    }),
  });
  p.pipeline.buildPipeline();
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  Aspects.of(app).add(new ServerlessChecks({ verbose: true }));
  app.synth();
  const annotations = Annotations.fromStack(p.stack);
  const found = [...annotations.findError('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())].map((a) => a.id);
  const ours = found.filter((id) => id.includes('StepFunctionsDeployWorkflow') || id.includes('ReviewChangeSets'));
  expect(ours).toEqual([]);
  // The packs ran: CDK Pipelines' own resources (its CodeBuild projects and roles) have findings, which are the user's to handle.
  expect(found.length).toBeGreaterThan(0);
});

test('a pipeline without the step is left alone: no workflow', () => {
  const p = cdkPipeline();
  p.pipeline.addStage(new AppStage(p.app, 'Prod', { withTable: true }));
  p.template().resourceCountIs('AWS::StepFunctions::StateMachine', 0);
});
