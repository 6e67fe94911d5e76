/**
 * The approval function on its own: approvers send a decision on an execution through its function URL (AWS_IAM
 * auth: Lambda gives the caller's ARN as SigV4 authenticated it). It answers only the approval the execution waits
 * for now, with the token from the execution's history, and only for a caller granted approval on the action that
 * execution deploys for; the approval names the caller as AWS authenticated them.
 */
import { ANY_ACTION, APPROVAL_REJECTED } from '../../src/shared/contract';
import { STATE_NAMES } from '../../src/shared/state-names';
import { callerIdentity, runApproval } from '../../src/workflow/approval';
import type { ApproverEntry, FunctionUrlEvent } from '../../src/workflow/approval';
import { ACCOUNT, FakeTaskWaits, REGION, STATE_MACHINE_ARN } from '../fakes';

/** The actions' approver keys, as their configuration carries them (onUnsafe.approvers). */
const STAGING = '5a6b7c8d';
const PRODUCTION = '1e2f3a4b';
const STAGING_APPROVERS = `arn:aws:iam::${ACCOUNT}:role/StagingApprovers`;
const PRODUCTION_APPROVERS = `arn:aws:iam::${ACCOUNT}:role/teams/ProductionApprovers`;
const RELEASE_MANAGER = `arn:aws:iam::${ACCOUNT}:user/release/carol`;
const APPROVERS: ApproverEntry[] = [[STAGING, [STAGING_APPROVERS]], [PRODUCTION, [PRODUCTION_APPROVERS, RELEASE_MANAGER]]];

/** A session of a role, as the function URL's authorizer names its caller. */
const sessionOf = (role: string, session: string, account = ACCOUNT) => `arn:aws:sts::${account}:assumed-role/${role}/${session}`;
const STAGING_ALICE = sessionOf('StagingApprovers', 'alice');
const PRODUCTION_BOB = sessionOf('ProductionApprovers', 'bob@example.com');

/** The approval state's parameters as Step Functions resolves them: the task function, the state with its confirmed deployment. */
function approvalParameters(key: string | undefined, token: string, stackName: string) {
  return {
    FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:TaskFunction`,
    Payload: {
      task: 'requestApproval',
      state: {
        deployment: {
          stackName,
          jobId: 'job-1',
          onUnsafe: { type: 'requireApproval', topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:approvals`, timeoutSeconds: 3600, ...(key ? { approvers: key } : {}) },
        },
        job: { pipelineName: 'Releases', pipelineExecutionId: 'pe-1', actionExecutionId: 'ae-1' },
      },
      token,
      executionId: 'the-execution',
    },
  };
}

function world() {
  const sfn = new FakeTaskWaits();
  const staging = sfn.add('sfn-deploy-staging', {
    state: STATE_NAMES.waitForApproval, token: 'staging-token', parameters: approvalParameters(STAGING, 'staging-token', 'staging-app'),
  });
  const production = sfn.add('sfn-deploy-production', {
    state: STATE_NAMES.waitForApproval, token: 'production-token', parameters: approvalParameters(PRODUCTION, 'production-token', 'prod-app'),
  });
  const log: string[] = [];
  const call = (caller: string | undefined, body: unknown) =>
    runApproval(urlEvent(caller, body), { sfn: sfn.client, approvers: APPROVERS, log: (m) => log.push(m) });
  return { sfn, staging, production, call, log };
}

function urlEvent(caller: string | undefined, body: unknown): FunctionUrlEvent {
  return {
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    isBase64Encoded: true,
    requestContext: { http: { method: 'POST' }, ...(caller ? { authorizer: { iam: { userArn: caller, accountId: ACCOUNT } } } : {}) },
  };
}

const bodyOf = (response: { body: string }) => JSON.parse(response.body);

describe('who may answer which wait', () => {
  test('GIVEN a staging approver WHEN they answer the production execution THEN it is refused and nothing is sent', async () => {
    const { sfn, production, call, log } = world();
    const response = await call(STAGING_ALICE, { executionArn: production, decision: 'approve', comment: 'looks fine' });
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response).message).toContain(`${STAGING_ALICE} is not granted approval on the action of stack prod-app (approver key ${PRODUCTION}`);
    expect(sfn.sendCalls()).toBe(0);
    expect(log.join('\n')).toContain('nothing sent');
  });

  test('GIVEN a staging approver who holds the production token WHEN they send it in the request THEN only the execution counts: the production wait is not answered', async () => {
    const { sfn, production, call } = world();
    const response = await call(STAGING_ALICE, { executionArn: production, decision: 'approve', taskToken: 'production-token', token: 'production-token' });
    expect(response.statusCode).toBe(403);
    expect(sfn.answers).toEqual([]);
  });

  test('GIVEN a staging approver WHEN they reject the production execution THEN it is refused too', async () => {
    const { sfn, production, call } = world();
    expect((await call(STAGING_ALICE, { executionArn: production, decision: 'reject' })).statusCode).toBe(403);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN a role of the same name in another account WHEN its session answers THEN it is refused', async () => {
    const { sfn, staging, call } = world();
    const response = await call(sessionOf('StagingApprovers', 'alice', '210987654321'), { executionArn: staging, decision: 'approve' });
    expect(response.statusCode).toBe(403);
    expect(sfn.sendCalls()).toBe(0);
  });

  test.each([
    ['an unsigned request (no IAM authorizer)', undefined, 401],
    ['the account\'s root', `arn:aws:iam::${ACCOUNT}:root`, 403],
    ['a federated user', `arn:aws:sts::${ACCOUNT}:federated-user/StagingApprovers`, 403],
    ['a user named like the granted role', `arn:aws:iam::${ACCOUNT}:user/StagingApprovers`, 403],
  ])('GIVEN %s WHEN it answers THEN it is refused and nothing is sent', async (_what, caller, status) => {
    const { sfn, staging, call } = world();
    expect((await call(caller, { executionArn: staging, decision: 'approve' })).statusCode).toBe(status);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN an approver of every action of the workflow (DeployStateMachine.grantApproval) WHEN they answer any action THEN it is sent', async () => {
    const sfn = new FakeTaskWaits();
    const production = sfn.add('sfn-deploy-production', {
      state: STATE_NAMES.waitForApproval, token: 't', parameters: approvalParameters(PRODUCTION, 't', 'prod-app'),
    });
    const approvers: ApproverEntry[] = [[ANY_ACTION, [`arn:aws:iam::${ACCOUNT}:role/Operators`]]];
    const response = await runApproval(urlEvent(sessionOf('Operators', 'dana'), { executionArn: production, decision: 'approve' }), { sfn: sfn.client, approvers });
    expect(response.statusCode).toBe(200);
    expect(sfn.answers).toHaveLength(1);
  });

  test('GIVEN an action whose configuration names no approver key (a ChangeSetReviewStep) WHEN an action\'s approver answers THEN it is refused; an approver of every action may', async () => {
    const sfn = new FakeTaskWaits();
    const review = sfn.add('sfn-deploy-review', { state: STATE_NAMES.waitForApproval, token: 'r', parameters: approvalParameters(undefined, 'r', 'prod-db') });
    const approvers: ApproverEntry[] = [...APPROVERS, [ANY_ACTION, [`arn:aws:iam::${ACCOUNT}:role/Operators`]]];
    const refused = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: review, decision: 'approve' }), { sfn: sfn.client, approvers });
    expect(refused.statusCode).toBe(403);
    expect(sfn.sendCalls()).toBe(0);
    const allowed = await runApproval(urlEvent(sessionOf('Operators', 'dana'), { executionArn: review, decision: 'approve' }), { sfn: sfn.client, approvers });
    expect(allowed.statusCode).toBe(200);
  });
});

describe('what is sent', () => {
  test('GIVEN a production approver\'s role session WHEN they approve THEN the wait gets its token\'s success with the caller as AWS authenticated them, not a typed name', async () => {
    const { sfn, production, call } = world();
    const response = await call(PRODUCTION_BOB, { executionArn: production, decision: 'approve', comment: 'reviewed in PR 42', by: 'somebody else' });
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ outcome: 'APPROVED', by: PRODUCTION_BOB, grantedAs: PRODUCTION_APPROVERS, state: STATE_NAMES.waitForApproval });
    expect(sfn.answers).toEqual([{
      executionArn: production,
      state: STATE_NAMES.waitForApproval,
      output: { approved: true, by: PRODUCTION_BOB, grantedAs: PRODUCTION_APPROVERS, comment: 'reviewed in PR 42' },
    }]);
  });

  test('GIVEN a role granted with a path WHEN a session of it answers (assumed-role ARNs have no path) THEN the session is that role', () => {
    expect(callerIdentity(PRODUCTION_BOB)).toEqual({ partition: 'aws', account: ACCOUNT, kind: 'role', name: 'ProductionApprovers' });
  });

  test('GIVEN a granted IAM user WHEN they reject THEN the wait fails with ApprovalRejected and a cause naming the user', async () => {
    const { sfn, production, call } = world();
    const caller = `arn:aws:iam::${ACCOUNT}:user/release/carol`;
    const response = await call(caller, { executionArn: production, decision: 'reject', comment: 'not during the freeze' });
    expect(response.statusCode).toBe(200);
    expect(sfn.answers).toEqual([{
      executionArn: production, state: STATE_NAMES.waitForApproval, error: APPROVAL_REJECTED, cause: `Rejected by ${caller}: not during the freeze`,
    }]);
  });

  test('GIVEN a unit waiting for its wave\'s approval WHEN its approver approves THEN that wait is answered', async () => {
    const sfn = new FakeTaskWaits();
    const unit = sfn.add('sfn-deploy-unit', {
      state: STATE_NAMES.waitForUnitApproval, token: 'unit-token', parameters: approvalParameters(STAGING, 'unit-token', 'staging-app'),
    });
    const response = await runApproval(urlEvent(STAGING_ALICE, { executionArn: unit, decision: 'approve' }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(200);
    expect(sfn.answers).toEqual([expect.objectContaining({ executionArn: unit, state: STATE_NAMES.waitForUnitApproval })]);
  });

  test('GIVEN an approval already answered WHEN a second decision comes THEN it is refused: the execution waits for nothing now', async () => {
    const { sfn, production, call } = world();
    expect((await call(PRODUCTION_BOB, { executionArn: production, decision: 'approve' })).statusCode).toBe(200);
    const second = await call(PRODUCTION_BOB, { executionArn: production, decision: 'reject' });
    expect(second.statusCode).toBe(409);
    expect(sfn.answers).toHaveLength(1);
  });
});

describe('which executions can be answered', () => {
  test.each(['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'] as const)('GIVEN an execution %s WHEN a granted approver answers THEN it is refused and nothing is sent', async (status) => {
    const sfn = new FakeTaskWaits();
    const ended = sfn.add('sfn-deploy-ended', {
      state: STATE_NAMES.waitForApproval, token: 'old-token', parameters: approvalParameters(PRODUCTION, 'old-token', 'prod-app'),
    }, status);
    const response = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: ended, decision: 'approve' }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response).message).toContain(`is ${status}, not RUNNING`);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN an execution at another state (executing its change set) WHEN a granted approver answers THEN it is refused and nothing is sent', async () => {
    const sfn = new FakeTaskWaits();
    const executing = sfn.add('sfn-deploy-executing', {
      state: STATE_NAMES.executeChangeSet, token: 'task-token', parameters: approvalParameters(PRODUCTION, 'task-token', 'prod-app'),
    });
    const response = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: executing, decision: 'approve' }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response).message).toContain(`at "${STATE_NAMES.executeChangeSet}", not at a state that waits for a person`);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN an execution that entered its approval state but has not scheduled the wait yet WHEN answered THEN it is refused', async () => {
    const sfn = new FakeTaskWaits();
    const entering = sfn.add('sfn-deploy-entering', { state: STATE_NAMES.waitForApproval, token: 't', parameters: {}, scheduled: false });
    const response = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: entering, decision: 'approve' }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(409);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN an execution of another state machine, waiting at a state of the same name WHEN a granted approver answers THEN it is refused and nothing is sent', async () => {
    const sfn = new FakeTaskWaits();
    const other = sfn.add('sfn-deploy-elsewhere', {
      state: STATE_NAMES.waitForApproval, token: 'other-token', parameters: approvalParameters(PRODUCTION, 'other-token', 'prod-app'),
    }, 'RUNNING', STATE_MACHINE_ARN.replace(/[^:]+$/, 'SomeoneElsesWorkflow'));
    const response = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: other, decision: 'approve' }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response).message).toContain('not an execution of this deploy workflow');
    expect(sfn.sendCalls()).toBe(0);
  });

  test.each<[string, (execution: string) => unknown]>([
    ['no JSON', () => 'approve please'],
    ['no execution ARN', () => ({ decision: 'approve' })],
    ['a decision that is not one', (executionArn) => ({ executionArn, decision: 'yes' })],
    ['a comment too long', (executionArn) => ({ executionArn, decision: 'approve', comment: 'x'.repeat(1001) })],
  ])('GIVEN %s WHEN sent THEN it is a bad request and nothing is sent', async (_what, bodyFor) => {
    const { sfn, production, call } = world();
    const response = await call(PRODUCTION_BOB, bodyFor(production));
    expect(response.statusCode).toBe(400);
    expect(sfn.sendCalls()).toBe(0);
  });
});
