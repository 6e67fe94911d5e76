/**
 * UnsafeChangeAction.requireApproval, with the rules of the "done when": allow replacing
 * AWS::Lambda::Version, deny everything else destructive, ask a person for any IAM change. A change that
 * needs approval pauses the execution with a task token; the topic gets the changes and the commands to
 * decide; approved, the change set is executed; rejected or timed out, it is deleted and never executed.
 */
import type { Change } from '@aws-sdk/client-cloudformation';
import { AuthorizationErrorException } from '@aws-sdk/client-sns';
import { Duration } from 'aws-cdk-lib';
import { resourceChange } from '../fakes';
import {
  APPROVAL_TOPIC_ARN, APPROVAL_URL, S, STACK_NAME, approveAs, approverSession, causeMessage, createManyChangesPipelineWorld, createPipelineWorld,
  createWorld, deploy, deploymentFor, importedResources, namedError, rejectAs, runPipelineAction, synthesizeWith,
} from './harness';
import type { SynthesizedWorkflow, WorkflowRun, World } from './harness';
import { ChangeAction, Replacement, RuleVerdict, SafetyPolicy, UnsafeChangeAction } from '../../src';
import type { SafetyRule } from '../../src';
import { LIMITS } from '../../src/shared/contract';
import type { Deployment } from '../../src/shared/contract';
import { changeSetNameFor } from '../../src/shared/naming';

const JOB = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

/**
 * The rule set, in order: the first rule that matches a change decides; a change no rule matches is
 * denied. Removals (whatever their deletion policy) and replacements are the destructive changes; a replacement's
 * ReplaceAnd* policy action comes with the replacement, so it needs no rule of its own.
 */
const DONE_WHEN_RULES: SafetyRule[] = [
  {
    description: 'lambda-version-replace',
    verdict: RuleVerdict.ALLOW,
    resourceTypes: ['AWS::Lambda::Version'],
    actions: [ChangeAction.MODIFY],
    replacements: [Replacement.TRUE, Replacement.CONDITIONAL],
  },
  { description: 'iam-asks-a-person', verdict: RuleVerdict.REQUIRE_APPROVAL, resourceTypes: ['AWS::IAM::*'] },
  { description: 'no-remove-or-dynamic', verdict: RuleVerdict.DENY, actions: [ChangeAction.REMOVE, ChangeAction.DYNAMIC] },
  { description: 'no-replace', verdict: RuleVerdict.DENY, replacements: [Replacement.TRUE, Replacement.CONDITIONAL] },
  { verdict: RuleVerdict.ALLOW, actions: [ChangeAction.ADD, ChangeAction.MODIFY, ChangeAction.IMPORT] },
];

let synthesized: SynthesizedWorkflow;
beforeAll(() => {
  synthesized = synthesizeWith({
    safetyPolicy: SafetyPolicy.fromRules(DONE_WHEN_RULES),
    onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: importedResources().approvalTopic, timeout: Duration.hours(2) }),
  });
});

const IN_PLACE = resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False');
const ROLE_CHANGE = resourceChange('Modify', 'DeployRole', 'AWS::IAM::Role', 'False');
const POLICY_ADDED = resourceChange('Add', 'AppPolicy', 'AWS::IAM::Policy');

function worldWith(changes: Change[]): World {
  const world = createWorld({ synthesized });
  world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
  world.cfn.onCreateChangeSet = { changes };
  return world;
}

/** An IAM change whose approval ends in an error of this name (Step Functions' States.Timeout, say): the run. */
async function runApprovalEndingIn(name: string, message: string): Promise<{ world: World; deployment: Deployment; result: WorkflowRun }> {
  const world = worldWith([ROLE_CHANGE]);
  world.approver = async () => {
    throw namedError(name, message);
  };
  const deployment = deploymentFor(undefined, world.synthesized);
  return { world, deployment, result: await deploy(world, deployment) };
}

describe('the synthesized action', () => {
  test('GIVEN the done-when rules and requireApproval WHEN synthesized THEN UserParameters carries them within CodePipeline\'s 1,000 characters', () => {
    expect(synthesized.userParameters.length).toBeLessThanOrEqual(LIMITS.userParameters);
    const config = JSON.parse(synthesized.userParameters);
    // With the action's approver key: the approval function answers only this action's approvers for its executions.
    expect(config.onUnsafe).toEqual({ type: 'requireApproval', topicArn: APPROVAL_TOPIC_ARN, timeoutSeconds: 7200, approvers: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(config.policy).toMatchObject({ type: 'rules', defaultVerdict: 'DENY' });
    expect(config.policy.rules).toHaveLength(DONE_WHEN_RULES.length);
  });
});

describe('a change set with IAM changes, which need a person', () => {
  test('GIVEN IAM changes WHEN CodePipeline runs the action THEN the execution pauses, the topic gets the changes, the token and the commands; approved, the change set is executed and the action reports APPROVED and who approved', async () => {
    // GIVEN
    const world = createPipelineWorld({ synthesized });
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [IN_PLACE, ROLE_CHANGE, POLICY_ADDED] };
    world.extras.putOutputs(STACK_NAME, { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders' });
    const changeSetName = changeSetNameFor(JOB);
    let whileWaiting: { published: number; executes: number; changeSet?: string } | undefined;
    world.approver = async (event, synthesizedWorkflow, message) => {
      whileWaiting = {
        published: world.sns.published.length,
        executes: world.cfn.callsOf('ExecuteChangeSet').length,
        changeSet: world.cfn.changeSet(STACK_NAME, changeSetName)?.status,
      };
      return approveAs('alice@example.com', 'the role change is reviewed in PR 42')(event, synthesizedWorkflow, message);
    };

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN: one person asked once, after the message went out and before anything was executed.
    expect(world.asked).toHaveLength(1);
    expect(whileWaiting).toEqual({ published: 1, executes: 0, changeSet: 'CREATE_COMPLETE' });
    const [{ token, executionId }] = world.asked;
    expect(token).toEqual(expect.any(String));
    expect(executionId).toMatch(/^arn:aws:states:eu-west-1:123456789012:execution:/);

    // The message: what changes, which need approval and why, and how to decide (with IAM credentials).
    const [published] = world.sns.published;
    expect(published.topicArn).toBe(APPROVAL_TOPIC_ARN);
    expect(published.subject).toBe(`Approval needed: deployment of stack ${STACK_NAME}`);
    const { message } = published;
    expect(message).toContain(`stack ${STACK_NAME} (pipeline job ${JOB})`);
    // The change set approved is named by its id and the digest of what was judged.
    expect(message).toMatch(new RegExp(`Change set ${changeSetName} \\(arn:aws:cloudformation:[^)]+\\), digest [0-9a-f]{12}: 2 Modify, 1 Add\\.`));
    expect(message).toContain('Only this change set, unchanged since it was judged, is executed on approval.');
    expect(message).toContain('  - DeployRole (AWS::IAM::Role): Modify, replacement False, by iam-asks-a-person (needs approval)');
    expect(message).toContain('  - AppPolicy (AWS::IAM::Policy): Add, by iam-asks-a-person (needs approval)');
    expect(message).not.toContain('Queue (');
    expect(message).toContain('within 120 minutes');
    expect(message).toContain(`Execution: ${executionId}`);
    // How to decide: through the approval function, naming the execution; never the task token, which answers nothing
    // for an approver (they have no right on the state machine).
    expect(message).toContain(`  cdk-sfn-deploy approve --url '${APPROVAL_URL}' --execution '${executionId}'`);
    expect(message).toContain(`  cdk-sfn-deploy reject --url '${APPROVAL_URL}' --execution '${executionId}'`);
    expect(message).toContain(`"executionArn": "${executionId}", "decision": "approve" or "reject"`);
    // What the decision is on: the approve digest of one stack's wait is its change set's digest, sent back with the decision.
    const shown = /, digest ([0-9a-f]{12}):/.exec(message)![1];
    expect(message).toContain(`\nApprove digest: ${shown}\n`);
    expect(message).toContain(`  cdk-sfn-deploy approve --url '${APPROVAL_URL}' --execution '${executionId}' --digest ${shown} --comment 'why'`);
    expect(message).toContain(`  cdk-sfn-deploy reject --url '${APPROVAL_URL}' --execution '${executionId}' --digest ${shown} --comment 'why'`);
    expect(message).toContain(`"digest": "${shown}"`);
    expect(message).toContain('if the execution waits on another change set or round by then, nothing is decided; read its latest message');
    expect(message).toContain('lambda:InvokeFunctionUrl');
    expect(message).not.toContain(token);
    expect(message).not.toMatch(/send-task-success|send-task-failure|states:SendTask/);
    // The command is named with routes that work from every language, never as `npx cdk-sfn-deploy`.
    expect(message).not.toMatch(/npx cdk-sfn-deploy/);
    expect(message).toContain('npx -p cdk-stepfunctions-deploy-action cdk-sfn-deploy');
    expect(message).toContain('pip install cdk-stepfunctions-deploy-action');

    // Approved: executed once, nothing deleted, the stack updated.
    expect(action.outcomes).toEqual(['STARTED', 'RUNNING', 'SUCCEEDED']);
    const [execution] = world.runs;
    expect(execution.path).toEqual(expect.arrayContaining([S.waitForApproval, S.executeChangeSet]));
    expect(execution.path.indexOf(S.waitForApproval)).toBeLessThan(execution.path.indexOf(S.executeChangeSet));
    // The change set judged and approved, by its id.
    const judgedId = world.cfn.callsOf('CreateChangeSet').length === 1 ? [...world.cfn.changeSets.values()][0].id : undefined;
    expect(judgedId).toMatch(new RegExp(`:changeSet/${changeSetName}/`));
    expect(world.cfn.callsOf('ExecuteChangeSet').map((c) => c.input)).toEqual([
      { StackName: STACK_NAME, ChangeSetName: judgedId, ClientRequestToken: changeSetName },
    ]);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(0);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('UPDATE_COMPLETE');

    // The pipeline: output variables with the person's verdict and the stack's outputs; a summary that names them.
    expect(action.final.kind).toBe('success');
    expect(action.final.input.outputVariables).toEqual({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders',
      StackName: STACK_NAME,
      Outcome: 'UPDATED',
      Verdict: 'APPROVED',
      ChangeSetName: changeSetName,
    });
    const { summary } = action.final.input.executionDetails;
    expect(summary).toContain(`Updated stack ${STACK_NAME} (2 Modify, 1 Add).`);
    // The approver as AWS authenticated them (their session of the approvers' role), not a name they typed.
    expect(summary).toContain(`Approved by ${approverSession('alice@example.com')}: the role change is reviewed in PR 42.`);
    expect(summary).toContain('DeployRole (Modify, iam-asks-a-person (needs approval))');
    expect(summary).toContain('AppPolicy (Add, iam-asks-a-person (needs approval))');
    expect(summary.length).toBeLessThanOrEqual(LIMITS.summary);
  });

  test('GIVEN an IAM change WHEN the approver rejects it (SendTaskFailure ApprovalRejected) THEN the change set is deleted, never executed, and the action fails with the approver\'s reason', async () => {
    // GIVEN
    const world = createPipelineWorld({ synthesized });
    world.cfn.putStack(STACK_NAME, 'UPDATE_COMPLETE');
    world.cfn.onCreateChangeSet = { changes: [IN_PLACE, ROLE_CHANGE] };
    world.approver = rejectAs('bob', 'the new role grants iam:* on *');

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN
    expect(world.asked).toHaveLength(1);
    expect(world.sns.published).toHaveLength(1);
    const [execution] = world.runs;
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ApprovalRejected');
    // The cause names the approver as AWS authenticated them, with their reason.
    expect(execution.cause).toBe(`Rejected by ${approverSession('bob')}: the new role grants iam:* on *`);
    expect(execution.path.slice(-3)).toEqual([S.waitForApproval, S.deleteRejectedChangeSet, S.approvalRejected]);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input)).toEqual([
      { StackName: STACK_NAME, ChangeSetName: changeSetNameFor(JOB) },
    ]);
    expect(world.cfn.changeSet(STACK_NAME, changeSetNameFor(JOB))).toBeUndefined();
    expect(action.final.kind).toBe('failure');
    expect(action.final.input.failureDetails.message).toContain(`Deployment failed (ApprovalRejected): Rejected by ${approverSession('bob')}: the new role grants iam:* on *.`);
  });

  test('GIVEN someone who may only create and delete change sets replaces the change set under its name while a person ' +
    'decides WHEN the person approves what they were shown THEN nothing is executed: the substitute is deleted and the ' +
    'deployment fails with ChangeSetChanged', async () => {
    // GIVEN: the approver is shown a role change; meanwhile the change set is swapped for one removing a table.
    const world = worldWith([ROLE_CHANGE]);
    const deployment = deploymentFor(undefined, world.synthesized);
    const REMOVES_TABLE = resourceChange('Remove', 'CustomerTable', 'AWS::DynamoDB::Table');
    let substitute: { executed: boolean } | undefined;
    world.approver = async () => {
      substitute = world.cfn.putChangeSet(STACK_NAME, deployment.changeSetName, [REMOVES_TABLE]);
      return { approved: true, by: 'alice@example.com' };
    };

    // WHEN
    const result = await deploy(world, deployment);

    // THEN: the approval message named the change set judged by its id and digest; that one is gone, nothing ran.
    const message = world.sns.published[0].message;
    expect(message).toMatch(new RegExp(`Change set ${deployment.changeSetName} \\(arn:aws:cloudformation:[^)]+:changeSet/${deployment.changeSetName}/\\d+\\), digest [0-9a-f]{12}`));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ChangeSetChanged');
    expect(causeMessage(result.cause)).toContain('is gone');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(substitute?.executed).toBe(false);
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
    expect(result.path.slice(-3)).toEqual([S.executeChangeSet, S.cleanUpAfterError, S.deploymentErrored]);
  });

  test('GIVEN an IAM change WHEN nobody decides within the timeout (States.Timeout) THEN the change set is deleted, never executed, and the deployment fails with ApprovalTimedOut', async () => {
    // GIVEN, WHEN
    const { world, deployment, result } = await runApprovalEndingIn('States.Timeout', '');

    // THEN
    expect(world.asked).toHaveLength(1);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ApprovalTimedOut');
    expect(result.cause).toMatch(/Nobody decided within the approval timeout: the change set was deleted and not executed/);
    expect(result.path.slice(-3)).toEqual([S.waitForApproval, S.deleteExpiredChangeSet, S.approvalTimedOut]);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet').map((c) => c.input.ChangeSetName)).toEqual([deployment.changeSetName]);
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
  });

  test('GIVEN an approval answer too large for the state (States.DataLimitExceeded, which States.ALL does not catch) THEN the change set is deleted, never executed', async () => {
    // GIVEN, WHEN: SendTaskSuccess with an output that, added to the state, is over Step Functions' 256 KB.
    const { world, deployment, result } = await runApprovalEndingIn(
      'States.DataLimitExceeded', 'The state/task returned a result with a size exceeding the maximum number of bytes service limit.');

    // THEN
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.path.slice(-3)).toEqual([S.waitForApproval, S.cleanUpAfterError, S.deploymentErrored]);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
  });

  test('GIVEN a person approves after the action\'s deadline THEN the change set is deleted, not executed (DeadlinePassed)', async () => {
    // GIVEN: the approval arrives when the action's two hours are over.
    const world = worldWith([ROLE_CHANGE]);
    const deployment = deploymentFor(undefined, world.synthesized);
    let clock = deployment.startedAt;
    (world.deps as { now?: () => number }).now = () => clock;
    world.approver = async () => {
      clock = deployment.deadline + 60_000;
      return { approved: true, by: 'late-reviewer' };
    };

    // WHEN
    const result = await deploy(world, deployment);

    // THEN: the approval wait itself was cut to the deadline; the late answer executes nothing.
    expect(result.outputsOf(S.inspectChangeSet)[0].inspection.approvalTimeoutSeconds).toBe(2 * 3600);
    expect(result.error).toBe('DeadlinePassed');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.changeSet(STACK_NAME, deployment.changeSetName)).toBeUndefined();
  });

  test('GIVEN an inspection late in the action WHEN a person is asked THEN the wait is cut to the time left before the deadline', async () => {
    const world = worldWith([ROLE_CHANGE]);
    const deployment = deploymentFor(undefined, world.synthesized);
    (world.deps as { now?: () => number }).now = () => deployment.deadline - 600_000;
    world.approver = approveAs('quick-reviewer');

    const result = await deploy(world, deployment);

    expect(result.outputsOf(S.inspectChangeSet)[0].inspection.approvalTimeoutSeconds).toBe(600);
    expect(result.status).toBe('SUCCEEDED');
  });

  test('GIVEN an IAM change and a denied Remove in the same change set WHEN inspected THEN nobody is asked: the change set is deleted and refused, naming the denied resource', async () => {
    // GIVEN
    const world = worldWith([ROLE_CHANGE, resourceChange('Remove', 'Bucket', 'AWS::S3::Bucket')]);
    world.approver = approveAs('alice@example.com');

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(world.asked).toHaveLength(0);
    expect(world.sns.published).toHaveLength(0);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('UnsafeChangeSet');
    expect(result.cause).toContain('2 of 2 changes are not allowed');
    expect(result.cause).toContain('Bucket (AWS::S3::Bucket): Remove refused by no-remove-or-dynamic');
    expect(result.cause).toContain('DeployRole (AWS::IAM::Role): Modify, replacement False refused by iam-asks-a-person (needs approval)');
    expect(result.path).not.toContain(S.waitForApproval);
    expect(result.path.slice(-3)).toEqual([S.deleteUnsafeChangeSet, S.deployToNewStack, S.deploymentRejected]);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
  });

  test('GIVEN the topic refuses the message WHEN a person should be asked THEN nobody waits: the change set is deleted, never executed, and the deployment errors with SNS\'s error', async () => {
    // GIVEN
    const world = worldWith([ROLE_CHANGE]);
    world.sns.failWith(new AuthorizationErrorException({
      message: 'User is not authorized to perform: SNS:Publish', $metadata: { httpStatusCode: 403, requestId: 'fake-request' },
    }));
    world.approver = approveAs('alice@example.com');

    // WHEN
    const result = await deploy(world);

    // THEN
    expect(world.asked).toHaveLength(0);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('AuthorizationErrorException');
    expect(causeMessage(result.cause)).toContain('not authorized to perform: SNS:Publish');
    expect(result.path.slice(-3)).toEqual([S.waitForApproval, S.cleanUpAfterError, S.deploymentErrored]);
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(0);
    expect(world.cfn.callsOf('DeleteChangeSet')).toHaveLength(1);
  });

  test('GIVEN 120 IAM changes WHEN approved through the pipeline THEN the message and the summary list what fits and count the rest, the summary within 2,048 characters', async () => {
    // GIVEN
    const world = createManyChangesPipelineWorld(synthesized, 120, (i) => resourceChange('Add', `TenantPolicy${i}`, 'AWS::IAM::Policy'), 50);
    world.approver = approveAs('alice@example.com');

    // WHEN
    const action = await runPipelineAction(world, JOB);

    // THEN
    const { message } = world.sns.published[0];
    expect(message).toContain('  - TenantPolicy0 (AWS::IAM::Policy): Add');
    expect(message).toContain(`... and ${120 - LIMITS.violationsInState} more`);
    expect(action.final.kind).toBe('success');
    const { summary } = action.final.input.executionDetails;
    expect(summary.length).toBeLessThanOrEqual(LIMITS.summary);
    expect(summary).toContain(`Approved by ${approverSession('alice@example.com')}.`);
    expect(summary).toContain('TenantPolicy0 (Add, iam-asks-a-person (needs approval))');
    expect(summary).toMatch(/ https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\/\S+$/);
    expect(action.final.input.outputVariables.Verdict).toBe('APPROVED');
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
  });
});

describe('the done-when rules: allow replacing AWS::Lambda::Version, deny everything else destructive, ask a person for any IAM change', () => {
  test.each([
    ['replacing an AWS::Lambda::Version', 'EXECUTED', resourceChange('Modify', 'FnVersion', 'AWS::Lambda::Version', 'True')],
    ['conditionally replacing an AWS::Lambda::Version', 'EXECUTED', resourceChange('Modify', 'FnVersion', 'AWS::Lambda::Version', 'Conditional')],
    ['an in-place change', 'EXECUTED', IN_PLACE],
    ['adding a queue', 'EXECUTED', resourceChange('Add', 'DeadLetters', 'AWS::SQS::Queue')],
    ['adding an AWS::IAM::Policy', 'ASKED', POLICY_ADDED],
    ['changing an AWS::IAM::Role in place', 'ASKED', ROLE_CHANGE],
    ['removing an AWS::IAM::User', 'ASKED', resourceChange('Remove', 'CiUser', 'AWS::IAM::User')],
    ['replacing an AWS::Lambda::Function', 'REFUSED', resourceChange('Modify', 'Fn', 'AWS::Lambda::Function', 'True')],
    ['removing an AWS::Lambda::Version', 'REFUSED', resourceChange('Remove', 'FnVersion', 'AWS::Lambda::Version')],
    ['conditionally replacing a table', 'REFUSED', resourceChange('Modify', 'Table', 'AWS::DynamoDB::Table', 'Conditional')],
    ['a Dynamic change', 'REFUSED', resourceChange('Dynamic', 'Custom', 'Custom::Thing')],
  ] as const)('GIVEN %s WHEN deployed THEN the change set is %s', async (_what, expected, change) => {
    // GIVEN
    const world = worldWith([IN_PLACE, change]);
    world.approver = approveAs('alice@example.com');

    // WHEN
    const result = await deploy(world);

    // THEN
    const outcome = {
      asked: world.asked.length,
      executed: world.cfn.callsOf('ExecuteChangeSet').length,
      deleted: world.cfn.callsOf('DeleteChangeSet').length,
      status: result.status,
      error: result.error,
    };
    expect(outcome).toEqual({
      EXECUTED: { asked: 0, executed: 1, deleted: 0, status: 'SUCCEEDED', error: undefined },
      ASKED: { asked: 1, executed: 1, deleted: 0, status: 'SUCCEEDED', error: undefined },
      REFUSED: { asked: 0, executed: 0, deleted: 1, status: 'FAILED', error: 'UnsafeChangeSet' },
    }[expected]);
    if (expected === 'REFUSED') expect(result.cause).toContain(`${change.ResourceChange!.LogicalResourceId} (${change.ResourceChange!.ResourceType})`);
  });
});
