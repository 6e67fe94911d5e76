/**
 * ChangeSetReviewStep's workflow: the change sets CDK Pipelines prepared (`PipelineChange`) are read and judged,
 * never executed; refused ones are deleted and the action fails; a stage's stacks are judged as one. The pipeline
 * is synthesized from a CDK Pipelines app; CloudFormation is the stateful fake, where the test plays CDK Pipelines'
 * prepare action (CreateChangeSet) and, only after a successful review, its deploy action (ExecuteChangeSet).
 */
import { CreateChangeSetCommand, DescribeChangeSetCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import type { Change, CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { APPROVAL_TOPIC_ARN, APPROVER_ROLE_NAME, S, approveAs, causeMessage, createWorld, namedError, runWorkflow, synthesizeStack } from './harness';
import type { Approver, SynthesizedWorkflow, World } from './harness';
import { ChangeSetReviewStep, DeployStateMachine, RuleVerdict, SafetyPolicy, UnsafeChangeAction } from '../../src';
import type { ChangeSetReviewStepProps } from '../../src';
import { parseUserParameters, toDeployment, validateConfig } from '../../src/shared/config';
import { APPROVAL_REJECTED } from '../../src/shared/contract';
import type { Deployment } from '../../src/shared/contract';
import { forUnitStack } from '../../src/shared/state-names';
import { outputVariables, successSummary } from '../../src/trigger/report';
import { runTask } from '../../src/workflow/tasks';
import type { TaskDeps } from '../../src/workflow/tasks';
import { AppStage, cdkPipeline } from '../constructs/pipelines-app';
import { ACCOUNT, FakeExecutionHistory, STATE_MACHINE_ARN, nestedStackChange, resourceChange } from '../fakes';

const DATA = 'Prod-Data';
const TOPICS = 'Prod-Topics';
const JOB = 'c0ffee00-0000-4000-8000-000000000015';
const SAFE: Change[] = [resourceChange('Add', 'Alarm', 'AWS::CloudWatch::Alarm'), resourceChange('Modify', 'Events', 'AWS::SNS::Topic', 'False')];
const REMOVES_TABLE: Change[] = [resourceChange('Remove', 'OrdersD5E6F7A8', 'AWS::DynamoDB::Table')];

/** The pipeline of the test app, its Prod stage reviewed: one stack, or both as a unit. */
function synthesizeReview(form: 'stack' | 'stage', props: (stack: Stack) => ChangeSetReviewStepProps = () => ({})): SynthesizedWorkflow {
  return synthesizeStack(() => {
    const p = cdkPipeline();
    const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent' });
    p.pipeline.addStage(stage, {
      stackSteps: form === 'stage'
        ? ChangeSetReviewStep.forStage(stage, props(p.stack))
        : [{ stack: stage.data, changeSet: [new ChangeSetReviewStep('Review', props(p.stack))] }],
    });
    p.pipeline.buildPipeline();
    // A review step's approvers decide on every action of the workflow (the step has no grantApproval of its own).
    // (In the account the local runs resolve the workflow's ARNs in.)
    DeployStateMachine.of(p.stack).grantApproval(iam.Role.fromRoleArn(p.stack, 'DeploymentApprovers', `arn:aws:iam::${ACCOUNT}:role/${APPROVER_ROLE_NAME}`));
    return p.stack;
  });
}

let cache: Record<string, SynthesizedWorkflow> = {};
function review(form: 'stack' | 'stage'): SynthesizedWorkflow {
  cache[form] ??= synthesizeReview(form);
  return cache[form];
}
afterAll(() => { cache = {}; });

/** CDK Pipelines' prepare action: the change set PipelineChange of each stack, with the changes it finds. */
async function prepare(world: World, stacks: Record<string, Change[]>): Promise<void> {
  for (const [stackName, changes] of Object.entries(stacks)) {
    if (!world.cfn.stacks.has(stackName)) world.cfn.putStack(stackName, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(stackName, { changeSet: { changes, pendingPolls: 0 } });
    await world.cfn.client.send(new CreateChangeSetCommand({
      StackName: stackName, ChangeSetName: 'PipelineChange', ChangeSetType: 'UPDATE', TemplateBody: '{"Resources":{}}',
    }));
    // The prepare action ends once the change set is created.
    await world.cfn.client.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: 'PipelineChange' }));
  }
}

/** A world with the fakes, SNS for approvals among them. */
function newWorld(): World {
  return createWorld({ synthesized: review('stack'), files: {} });
}

/** The review action's job: CodePipeline issues it (no input artifact), the workflow runs for it. */
async function runReview(world: World, synthesized: SynthesizedWorkflow, approver?: Approver, deps: TaskDeps = world.deps) {
  const deployment: Deployment = toDeployment(validateConfig(parseUserParameters(synthesized.userParameters)), { id: JOB, startedAt: Date.now() });
  world.codepipeline.issue({ id: JOB, userParameters: synthesized.userParameters, startTime: deployment.startedAt });
  const run = await runWorkflow({ deployment }, deps, { synthesized, stackEvents: world.events, ...(approver ? { approver } : {}) });
  return { run, deployment };
}

/** Asks a person: the approval topic of the feature world's fake SNS. */
const approval = (stack: Stack): ChangeSetReviewStepProps => ({
  safetyPolicy: SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL }),
  onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: sns.Topic.fromTopicArn(stack, 'Approvers', APPROVAL_TOPIC_ARN) }),
});

/** What CloudFormation was asked to execute or delete, by stack. */
function executed(world: World): string[] {
  return world.cfn.calls.filter((c) => c.op === 'ExecuteChangeSet' || c.op === 'CreateStack').map((c) => c.input.StackName);
}
function changeSetsLeft(world: World): string[] {
  return [...world.cfn.changeSets.keys()].sort();
}

describe('one stack', () => {
  test('GIVEN a prepared change set that adds and modifies WHEN reviewed THEN the action succeeds, nothing is executed, and the change set is left for CDK Pipelines\' deploy action, which executes it', async () => {
    // GIVEN
    const world = newWorld();
    await prepare(world, { [DATA]: SAFE });
    // WHEN
    const { run } = await runReview(world, review('stack'));
    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(executed(world)).toEqual([]);
    expect(world.cfn.calls.some((c) => c.op === 'CreateChangeSet' && c.input.ChangeSetName !== 'PipelineChange')).toBe(false);
    expect(changeSetsLeft(world)).toEqual([`${DATA}/PipelineChange`]);
    expect(outputVariables(run.output)).toMatchObject({ Outcome: 'ALLOWED', Verdict: 'ALLOW', [`${DATA}_Outcome`]: 'ALLOWED' });
    expect(successSummary(run.output, '<link>')).toMatch(/^Reviewed the change sets the pipeline prepared for 1 stack: allowed; the pipeline's deploy actions execute them\. Allowed: Prod-Data/);
    // CDK Pipelines' deploy action then executes it.
    await world.cfn.client.send(new ExecuteChangeSetCommand({ StackName: DATA, ChangeSetName: 'PipelineChange' }));
    expect(executed(world)).toEqual([DATA]);
  });

  test('GIVEN the second commit removes a table WHEN reviewed THEN the action fails naming the table, the change set is deleted, and CDK Pipelines\' deploy action has nothing to execute', async () => {
    // GIVEN
    const world = newWorld();
    await prepare(world, { [DATA]: REMOVES_TABLE });
    // WHEN
    const { run } = await runReview(world, review('stack'));
    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnsafeChangeSet');
    expect(causeMessage(run.cause)).toMatch(/OrdersD5E6F7A8 \(AWS::DynamoDB::Table\): Remove refused by no-deletion/);
    expect(run.path).toContain(S.deleteRefusedUnitChangeSets);
    expect(executed(world)).toEqual([]);
    expect(changeSetsLeft(world)).toEqual([]);
    // Were the deploy action run anyway (it is not: the stage stopped), there is no change set to execute.
    await expect(world.cfn.client.send(new ExecuteChangeSetCommand({ StackName: DATA, ChangeSetName: 'PipelineChange' }))).rejects.toThrow();
  });

  test('GIVEN a prepared change set without changes WHEN reviewed THEN the action succeeds with NO_CHANGES and the empty change set is left as CDK Pipelines made it', async () => {
    const world = newWorld();
    world.cfn.putStack(DATA, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(DATA, { changeSet: { failedReason: "The submitted information didn't contain changes. Submit different information to create a change set.", pendingPolls: 0 } });
    await world.cfn.client.send(new CreateChangeSetCommand({ StackName: DATA, ChangeSetName: 'PipelineChange', ChangeSetType: 'UPDATE', TemplateBody: '{}' }));
    const { run } = await runReview(world, review('stack'));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toContain(S.preparedStackUpToDate);
    expect(outputVariables(run.output)).toMatchObject({ Outcome: 'NO_CHANGES', [`${DATA}_Outcome`]: 'NO_CHANGES' });
    expect(changeSetsLeft(world)).toEqual([`${DATA}/PipelineChange`]);
    expect(world.cfn.calls.filter((c) => c.op === 'DeleteChangeSet')).toEqual([]);
  });

  test('GIVEN no prepared change set (the prepare action did not run) WHEN reviewed THEN the action fails, nothing is created or executed', async () => {
    const world = newWorld();
    world.cfn.putStack(DATA, 'UPDATE_COMPLETE');
    const { run } = await runReview(world, review('stack'));
    expect(run.status).toBe('FAILED');
    expect(causeMessage(run.cause)).toMatch(/PipelineChange/);
    expect(world.cfn.calls.filter((c) => ['CreateChangeSet', 'ExecuteChangeSet', 'CreateStack'].includes(c.op))).toEqual([]);
  });

  test('GIVEN a nested stack changed, whose change set CodePipeline\'s action does not make WHEN reviewed THEN it is refused: what it does inside is unknown', async () => {
    const world = newWorld();
    const nested = nestedStackChange('Storage', 'unused');
    delete (nested.ResourceChange as { ChangeSetId?: string }).ChangeSetId;
    await prepare(world, { [DATA]: [nested] });
    const { run } = await runReview(world, review('stack'));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnsafeChangeSet');
    expect(causeMessage(run.cause)).toMatch(/Storage/);
    expect(executed(world)).toEqual([]);
  });

  test('GIVEN requireApproval WHEN a person approves the removal THEN the action succeeds as APPROVED and still executes nothing itself', async () => {
    const synthesized = synthesizeReview('stack', approval);
    const world = newWorld();
    await prepare(world, { [DATA]: REMOVES_TABLE });
    const { run } = await runReview(world, synthesized, approveAs('alice', 'the table moved to the archive stack'));
    expect(run.status).toBe('SUCCEEDED');
    expect(outputVariables(run.output)).toMatchObject({ Outcome: 'ALLOWED', Verdict: 'APPROVED' });
    expect(executed(world)).toEqual([]);
    expect(changeSetsLeft(world)).toEqual([`${DATA}/PipelineChange`]);
  });

  test('GIVEN requireApproval WHEN the person rejects THEN the change set is deleted and the action fails', async () => {
    const synthesized = synthesizeReview('stack', approval);
    const world = newWorld();
    await prepare(world, { [DATA]: REMOVES_TABLE });
    const { run } = await runReview(world, synthesized, async () => { throw namedError(APPROVAL_REJECTED, 'keep the table'); });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(APPROVAL_REJECTED);
    expect(changeSetsLeft(world)).toEqual([]);
    expect(executed(world)).toEqual([]);
  });
});

describe('change sets the review cannot allow', () => {
  test('GIVEN the prepared change set was executed already WHEN reviewed THEN the action fails: it is not what the deploy action would execute', async () => {
    const world = newWorld();
    await prepare(world, { [DATA]: SAFE });
    await world.cfn.client.send(new ExecuteChangeSetCommand({ StackName: DATA, ChangeSetName: 'PipelineChange' }));
    const { run } = await runReview(world, review('stack'));
    expect(run.status).toBe('FAILED');
    expect(causeMessage(run.cause)).toMatch(/Change set PipelineChange of stack Prod-Data is EXECUTE_\w+, not AVAILABLE: it was executed already or replaced/);
    expect(outputVariables(run.output ?? {})).not.toMatchObject({ Outcome: 'ALLOWED' });
  });

  test('GIVEN a prepared change set that FAILED for another reason than no changes WHEN reviewed THEN the action fails with CloudFormation\'s reason', async () => {
    const world = newWorld();
    world.cfn.putStack(DATA, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(DATA, { changeSet: { failedReason: 'Template format error: Unresolved resource dependencies [Vpc]', pendingPolls: 0 } });
    await world.cfn.client.send(new CreateChangeSetCommand({ StackName: DATA, ChangeSetName: 'PipelineChange', ChangeSetType: 'UPDATE', TemplateBody: '{}' }));
    const { run } = await runReview(world, review('stack'));
    expect(run.status).toBe('FAILED');
    expect(causeMessage(run.cause)).toMatch(/Unresolved resource dependencies \[Vpc\]/);
    expect(executed(world)).toEqual([]);
  });

  test('GIVEN no stack at all (nothing was prepared) WHEN reviewed THEN the action fails and no stack is created', async () => {
    const world = newWorld();
    const { run } = await runReview(world, review('stack'));
    expect(run.status).toBe('FAILED');
    expect(world.cfn.stacks.has(DATA)).toBe(false);
    expect(world.cfn.calls.filter((c) => ['CreateStack', 'CreateChangeSet', 'ExecuteChangeSet'].includes(c.op))).toEqual([]);
  });

  test('GIVEN a change set CloudFormation is still creating at the action\'s timeout WHEN reviewed THEN the action fails saying so', async () => {
    const world = newWorld();
    world.cfn.putStack(DATA, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(DATA, { changeSet: { changes: SAFE, pendingPolls: 1000 } });
    await world.cfn.client.send(new CreateChangeSetCommand({ StackName: DATA, ChangeSetName: 'PipelineChange', ChangeSetType: 'UPDATE', TemplateBody: '{}' }));
    const synthesized = review('stack');
    const startedAt = Date.now() - 3 * 3_600_000;
    const deployment = toDeployment(validateConfig(parseUserParameters(synthesized.userParameters)), { id: JOB, startedAt });
    world.codepipeline.issue({ id: JOB, userParameters: synthesized.userParameters, startTime: startedAt });
    const run = await runWorkflow({ deployment }, world.deps, { synthesized, stackEvents: world.events });
    expect(run.status).toBe('FAILED');
    expect(causeMessage(run.cause)).toMatch(/Change set PipelineChange was still CREATE_(PENDING|IN_PROGRESS) at the action's timeout/);
    expect(executed(world)).toEqual([]);
  });
});

describe('a stage as one unit', () => {
  test('GIVEN two stacks, the second removing a table WHEN the stage is reviewed THEN both change sets are deleted, neither is executed, and the message names the table only', async () => {
    const world = newWorld();
    await prepare(world, { [DATA]: SAFE, [TOPICS]: REMOVES_TABLE });
    const { run } = await runReview(world, review('stage'));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UnsafeChangeSet');
    const message = causeMessage(run.cause);
    expect(message).toMatch(/Prod-Topics.*OrdersD5E6F7A8 \(AWS::DynamoDB::Table\): Remove refused/);
    expect(message).not.toMatch(/for stack Prod-Data is refused/);
    expect(message).toMatch(/^The change sets the pipeline prepared are refused: none of them may be executed\./);
    expect(message).toContain('Remove refused by no-deletion. Untouched: Prod-Data, Prod-Topics.');
    expect(changeSetsLeft(world)).toEqual([]);
    expect(executed(world)).toEqual([]);
  });

  test('GIVEN two safe stacks WHEN the stage is reviewed THEN both change sets are allowed and left for the deploy actions', async () => {
    const world = newWorld();
    await prepare(world, { [DATA]: SAFE, [TOPICS]: [resourceChange('Add', 'Alerts', 'AWS::SNS::Topic')] });
    const { run } = await runReview(world, review('stage'));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visits(forUnitStack(S.inspectChangeSet))).toBe(2);
    expect(outputVariables(run.output)).toMatchObject({ Outcome: 'ALLOWED', StackCount: '2', [`${DATA}_Outcome`]: 'ALLOWED', [`${TOPICS}_Outcome`]: 'ALLOWED' });
    expect(changeSetsLeft(world)).toEqual([`${DATA}/PipelineChange`, `${TOPICS}/PipelineChange`]);
    expect(executed(world)).toEqual([]);
  });
});

describe('nothing goes around the review', () => {
  test('GIVEN a prepared deployment WHEN the task function is asked directly to execute its change set THEN it refuses, before any call', async () => {
    const world = newWorld();
    await prepare(world, { [DATA]: SAFE });
    const deployment = toDeployment(validateConfig(parseUserParameters(review('stack').userParameters)), { id: JOB, startedAt: Date.now() });
    const member = { ...deployment, unit: undefined, stackName: DATA };
    const calls = world.cfn.calls.length;
    // Even as the execution's own call from Execute Change Set (which its caller check lets through).
    const state = { deployment: member, inspection: { verdict: 'ALLOW' } } as never;
    const executionId = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:y`;
    const history = new FakeExecutionHistory();
    history.current.set(executionId, { executionArn: executionId, name: S.executeChangeSet, input: state });
    await expect(runTask({ task: 'executeChangeSet', state, executionId }, { ...world.deps, sfn: history.client }))
      .rejects.toThrow(/prepared by the pipeline, which executes it/);
    expect(world.cfn.calls.length).toBe(calls);
  });

  test('a review configuration cannot carry settings that create change sets, and names them', () => {
    const config = JSON.parse(review('stack').userParameters);
    expect(() => validateConfig({ ...config, templateConfigurationPath: 'x.json', revertDrift: true }))
      .toThrow(/"prepared" change sets were made by the pipeline: "templateConfigurationPath", "revertDrift" cannot apply/);
    expect(() => validateConfig({ ...config, stacks: [{ stackName: DATA, templatePath: 'other.json' }] }))
      .toThrow(/"stacks"\[0\] has unknown keys "templatePath" \(a stack of prepared change sets holds only stackName, assumeRoleArn, region\)/);
    expect(() => validateConfig({ ...config, prepared: 'Pipeline Change' })).toThrow(/"prepared" must be a change set name/);
    expect(() => validateConfig({ ...config, onUnsafe: { type: 'deployToNewStack' } })).toThrow(/deployToNewStack/);
    expect(() => validateConfig({ ...config, environmentName: 'prod', report: true, stackEvents: true }))
      .toThrow(/"environmentName", "report", "stackEvents" cannot apply/);
    expect(() => validateConfig({ ...config, region: 'mars-1' })).toThrow(/"region" must be an AWS region name/);
    const { prepared: _p, ...notReview } = config;
    expect(() => validateConfig({ ...notReview, region: 'us-west-2' })).toThrow(/"region" goes with "prepared" only/);
  });

  test('GIVEN a stage mixing another account, another region of the pipeline\'s account, and the pipeline\'s own WHEN refused THEN every call for each stack, the clean-up\'s too, goes where that stack is', async () => {
    const synthesized = synthesizeStack(() => {
      const p = cdkPipeline();
      const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent', env: { account: '222222222222', region: 'us-west-2' } });
      new sns.Topic(new Stack(stage, 'Audit', { env: { account: '111111111111', region: 'us-east-2' } }), 'Trail');
      new sns.Topic(new Stack(stage, 'Local', { env: { account: '111111111111', region: 'eu-west-1' } }), 'Trail');
      p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
      p.pipeline.buildPipeline();
      return p.stack;
    });
    const world = newWorld();
    await prepare(world, { [DATA]: SAFE, [TOPICS]: REMOVES_TABLE, 'Prod-Audit': SAFE, 'Prod-Local': SAFE });
    const log: string[] = [];
    const via = (label: string) => ({
      send: (command: { input: { StackName?: string } }) => {
        log.push(`${command.input.StackName} ${label}`);
        return world.cfn.client.send(command as never);
      },
    }) as unknown as CloudFormationClient;
    const deps: TaskDeps = {
      ...world.deps,
      cloudformation: via('own'),
      cloudformationAs: (role, _session, region) => via(`${/::(\d{12}):/.exec(role)?.[1]} ${region}`),
      cloudformationIn: (region) => via(`own ${region}`),
    };
    const { run } = await runReview(world, synthesized, undefined, deps);
    expect(run.status).toBe('FAILED');
    expect(changeSetsLeft(world)).toEqual([]);
    const routes = Object.fromEntries([...new Set(log)].map((line) => line.split(' ')).map(([stack, ...where]) => [stack, where.join(' ')]));
    expect(routes).toEqual({
      [DATA]: '222222222222 us-west-2',
      [TOPICS]: '222222222222 us-west-2',
      'Prod-Audit': 'own us-east-2',
      'Prod-Local': 'own',
    });
    // Each stack had one route only: a stack read one way and deleted another would show twice.
    expect(new Set(log).size).toBe(4);
  });

  test('GIVEN stacks in another account WHEN reviewed THEN every CloudFormation call is made as the deploy role, in the stacks\' region', async () => {
    const synthesized = synthesizeStack(() => {
      const p = cdkPipeline();
      const stage = new AppStage(p.app, 'Prod', { withTable: true, topics: 'independent', env: { account: '222222222222', region: 'us-west-2' } });
      p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) });
      p.pipeline.buildPipeline();
      return p.stack;
    });
    const world = newWorld();
    await prepare(world, { [DATA]: SAFE, [TOPICS]: REMOVES_TABLE });
    const assumed: string[] = [];
    // The pipeline account's own client must not be used for these stacks: every call goes through the role's.
    const deps: TaskDeps = {
      ...world.deps,
      cloudformation: new Proxy(world.cfn.client, { get: () => { throw new Error('the function\'s own CloudFormation client was used'); } }),
      cloudformationAs: (role, _session, region) => {
        assumed.push(`${role} ${region}`);
        return world.deps.cloudformation;
      },
    };
    const { run } = await runReview(world, synthesized, undefined, deps);
    expect(run.status).toBe('FAILED');
    expect(changeSetsLeft(world)).toEqual([]);
    expect([...new Set(assumed)]).toEqual(['arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-west-2 us-west-2']);
  });
});
