/**
 * The approval function on its own: approvers send a decision on an execution through its function URL (AWS_IAM
 * auth: Lambda gives the caller's ARN as SigV4 authenticated it). It answers only the approval the execution waits
 * for now, with the token from the execution's history, and only for a caller granted approval on the action that
 * execution deploys for; the approval names the caller as AWS authenticated them.
 */
import { ANY_ACTION, APPROVAL_REJECTED } from '../../src/shared/contract';
import { shortDigest } from '../../src/shared/naming';
import { STATE_NAMES } from '../../src/shared/state-names';
import { callerIdentity, runApproval } from '../../src/workflow/approval';
import type { ApproverEntry, FunctionUrlEvent } from '../../src/workflow/approval';
import { approvalDigest, unitApprovalMessage } from '../../src/workflow/approval-message';
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

/** What the waits' change sets were judged as (InspectionResult.digest), and the approve digest their messages show. */
const DIGEST = '3f2a9c0d4e5b'.padEnd(64, '7');
const SHOWN = shortDigest(DIGEST);

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
        inspection: { verdict: 'REQUIRE_APPROVAL', changeSetId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/sfn-deploy-job1/1`, digest: DIGEST },
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
    const response = await call(STAGING_ALICE, { executionArn: production, decision: 'approve', digest: SHOWN, comment: 'looks fine' });
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response).message).toContain(`${STAGING_ALICE} is not granted approval on the action of stack prod-app (approver key ${PRODUCTION}`);
    expect(sfn.sendCalls()).toBe(0);
    expect(log.join('\n')).toContain('nothing sent');
  });

  test('GIVEN a staging approver who holds the production token WHEN they send it in the request THEN only the execution counts: the production wait is not answered', async () => {
    const { sfn, production, call } = world();
    const response = await call(STAGING_ALICE, { executionArn: production, decision: 'approve', digest: SHOWN, taskToken: 'production-token', token: 'production-token' });
    expect(response.statusCode).toBe(403);
    expect(sfn.answers).toEqual([]);
  });

  test('GIVEN a staging approver WHEN they reject the production execution THEN it is refused too', async () => {
    const { sfn, production, call } = world();
    expect((await call(STAGING_ALICE, { executionArn: production, decision: 'reject', digest: SHOWN })).statusCode).toBe(403);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN a role of the same name in another account WHEN its session answers THEN it is refused', async () => {
    const { sfn, staging, call } = world();
    const response = await call(sessionOf('StagingApprovers', 'alice', '210987654321'), { executionArn: staging, decision: 'approve', digest: SHOWN });
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
    expect((await call(caller, { executionArn: staging, decision: 'approve', digest: SHOWN })).statusCode).toBe(status);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN an approver of every action of the workflow (DeployStateMachine.grantApproval) WHEN they answer any action THEN it is sent', async () => {
    const sfn = new FakeTaskWaits();
    const production = sfn.add('sfn-deploy-production', {
      state: STATE_NAMES.waitForApproval, token: 't', parameters: approvalParameters(PRODUCTION, 't', 'prod-app'),
    });
    const approvers: ApproverEntry[] = [[ANY_ACTION, [`arn:aws:iam::${ACCOUNT}:role/Operators`]]];
    const response = await runApproval(urlEvent(sessionOf('Operators', 'dana'), { executionArn: production, decision: 'approve', digest: SHOWN }), { sfn: sfn.client, approvers });
    expect(response.statusCode).toBe(200);
    expect(sfn.answers).toHaveLength(1);
  });

  test('GIVEN an action whose configuration names no approver key (a ChangeSetReviewStep) WHEN an action\'s approver answers THEN it is refused; an approver of every action may', async () => {
    const sfn = new FakeTaskWaits();
    const review = sfn.add('sfn-deploy-review', { state: STATE_NAMES.waitForApproval, token: 'r', parameters: approvalParameters(undefined, 'r', 'prod-db') });
    const approvers: ApproverEntry[] = [...APPROVERS, [ANY_ACTION, [`arn:aws:iam::${ACCOUNT}:role/Operators`]]];
    const refused = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: review, decision: 'approve', digest: SHOWN }), { sfn: sfn.client, approvers });
    expect(refused.statusCode).toBe(403);
    expect(sfn.sendCalls()).toBe(0);
    const allowed = await runApproval(urlEvent(sessionOf('Operators', 'dana'), { executionArn: review, decision: 'approve', digest: SHOWN }), { sfn: sfn.client, approvers });
    expect(allowed.statusCode).toBe(200);
  });
});

describe('what is sent', () => {
  test('GIVEN a production approver\'s role session WHEN they approve THEN the wait gets its token\'s success with the caller as AWS authenticated them, not a typed name', async () => {
    const { sfn, production, call } = world();
    const response = await call(PRODUCTION_BOB, { executionArn: production, decision: 'approve', digest: SHOWN, comment: 'reviewed in PR 42', by: 'somebody else' });
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
    const response = await call(caller, { executionArn: production, decision: 'reject', digest: SHOWN, comment: 'not during the freeze' });
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
    const response = await runApproval(urlEvent(STAGING_ALICE, { executionArn: unit, decision: 'approve', digest: SHOWN }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(200);
    expect(sfn.answers).toEqual([expect.objectContaining({ executionArn: unit, state: STATE_NAMES.waitForUnitApproval })]);
  });

  test('GIVEN an approval already answered WHEN a second decision comes THEN it is refused: the execution waits for nothing now', async () => {
    const { sfn, production, call } = world();
    expect((await call(PRODUCTION_BOB, { executionArn: production, decision: 'approve', digest: SHOWN })).statusCode).toBe(200);
    const second = await call(PRODUCTION_BOB, { executionArn: production, decision: 'reject', digest: SHOWN });
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
    const response = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: ended, decision: 'approve', digest: SHOWN }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response).message).toContain(`is ${status}, not RUNNING`);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN an execution at another state (executing its change set) WHEN a granted approver answers THEN it is refused and nothing is sent', async () => {
    const sfn = new FakeTaskWaits();
    const executing = sfn.add('sfn-deploy-executing', {
      state: STATE_NAMES.executeChangeSet, token: 'task-token', parameters: approvalParameters(PRODUCTION, 'task-token', 'prod-app'),
    });
    const response = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: executing, decision: 'approve', digest: SHOWN }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response).message).toContain(`at "${STATE_NAMES.executeChangeSet}", not at a state that waits for a person`);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN an execution that entered its approval state but has not scheduled the wait yet WHEN answered THEN it is refused', async () => {
    const sfn = new FakeTaskWaits();
    const entering = sfn.add('sfn-deploy-entering', { state: STATE_NAMES.waitForApproval, token: 't', parameters: {}, scheduled: false });
    const response = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: entering, decision: 'approve', digest: SHOWN }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(409);
    expect(sfn.sendCalls()).toBe(0);
  });

  test('GIVEN an execution of another state machine, waiting at a state of the same name WHEN a granted approver answers THEN it is refused and nothing is sent', async () => {
    const sfn = new FakeTaskWaits();
    const other = sfn.add('sfn-deploy-elsewhere', {
      state: STATE_NAMES.waitForApproval, token: 'other-token', parameters: approvalParameters(PRODUCTION, 'other-token', 'prod-app'),
    }, 'RUNNING', STATE_MACHINE_ARN.replace(/[^:]+$/, 'SomeoneElsesWorkflow'));
    const response = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: other, decision: 'approve', digest: SHOWN }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response).message).toContain('not an execution of this deploy workflow');
    expect(sfn.sendCalls()).toBe(0);
  });

  test.each<[string, (execution: string) => unknown]>([
    ['no JSON', () => 'approve please'],
    ['no execution ARN', () => ({ decision: 'approve' })],
    ['a decision that is not one', (executionArn) => ({ executionArn, decision: 'yes' })],
    ['a comment too long', (executionArn) => ({ executionArn, decision: 'approve', digest: SHOWN, comment: 'x'.repeat(1001) })],
    ['an approval without the digest of what it approves', (executionArn) => ({ executionArn, decision: 'approve' })],
    ['a rejection without the digest of what it rejects', (executionArn) => ({ executionArn, decision: 'reject' })],
    ['a digest shorter than the message\'s 12 characters', (executionArn) => ({ executionArn, decision: 'approve', digest: SHOWN.slice(0, 11) })],
    ['a digest that is not hex', (executionArn) => ({ executionArn, decision: 'approve', digest: 'not-a-digest' })],
  ])('GIVEN %s WHEN sent THEN it is a bad request and nothing is sent', async (_what, bodyFor) => {
    const { sfn, production, call } = world();
    const response = await call(PRODUCTION_BOB, bodyFor(production));
    expect(response.statusCode).toBe(400);
    expect(sfn.sendCalls()).toBe(0);
  });
});

describe('a decision reaches only the wait whose message the approver read (its approve digest)', () => {
  const OTHER = 'aaaaaaaaaaaa'.padEnd(64, '0');

  test.each(['approve', 'reject'] as const)('GIVEN a wait on a change set judged as one digest WHEN a granted approver decides (%s) naming ' +
    'another digest (another change set\'s message) THEN it is refused (409), nothing is sent, and they are told to read the latest message', async (decision) => {
    const { sfn, production, call, log } = world();
    const response = await call(PRODUCTION_BOB, { executionArn: production, decision, digest: shortDigest(OTHER) });
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response).message).toBe(`execution ${production} now waits on another change set than the one of digest ${shortDigest(OTHER)}: ` +
      'nothing is sent; read its latest approval message and decide on what it shows');
    expect(bodyOf(response).message).not.toContain(SHOWN);
    expect(sfn.sendCalls()).toBe(0);
    expect(log.join('\n')).toContain('refused (409), nothing sent');
  });

  test.each([
    ['the whole digest', DIGEST],
    ['the short digest in capitals', SHOWN.toUpperCase()],
    ['a longer prefix', DIGEST.slice(0, 20)],
  ])('GIVEN %s of the wait\'s change set WHEN approved THEN it is sent', async (_what, digest) => {
    const { sfn, production, call } = world();
    expect((await call(PRODUCTION_BOB, { executionArn: production, decision: 'approve', digest })).statusCode).toBe(200);
    expect(sfn.answers).toHaveLength(1);
  });

  test('GIVEN a wait whose state holds no judged change set WHEN approved with any digest THEN it is refused and nothing is sent', async () => {
    const sfn = new FakeTaskWaits();
    const parameters = approvalParameters(PRODUCTION, 't', 'prod-app');
    const { inspection: _judged, ...state } = parameters.Payload.state;
    const bare = sfn.add('sfn-deploy-bare', { state: STATE_NAMES.waitForApproval, token: 't', parameters: { ...parameters, Payload: { ...parameters.Payload, state } } });
    const response = await runApproval(urlEvent(PRODUCTION_BOB, { executionArn: bare, decision: 'approve', digest: SHOWN }), { sfn: sfn.client, approvers: APPROVERS });
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response).message).toContain('holds no judged change set to approve');
    expect(sfn.sendCalls()).toBe(0);
  });

  /** A unit of two stacks at wave `wave`: that wave reviews stack `app-<wave>`, its change set judged as `digest`. */
  function unitState(wave: number, digest: string) {
    const { Payload } = approvalParameters(PRODUCTION, `unit-token-${wave}`, 'prod-app');
    const deployment = Payload.state.deployment;
    const reviewed = { ...deployment, stackName: `app-${wave}` };
    const inspection = { verdict: 'REQUIRE_APPROVAL', changeSetId: `arn:cs/app-${wave}`, digest, changeCount: 1, violationCount: 0, violations: [], reason: '', counts: {}, nestedChangeSets: 0 };
    const unit = {
      round: wave,
      next: 'APPROVE',
      review: [reviewed],
      members: [1, 2].map((n) => ({
        stackName: `app-${n}`,
        status: n < wave ? 'UPDATED' : n === wave ? 'REVIEWED' : 'WAITING',
        ...(n === wave ? { round: wave, review: { stackName: `app-${n}`, plan: 'EXECUTE', inspection } } : {}),
      })),
    };
    return { deployment, unit };
  }

  test('GIVEN a unit whose wave 1 message an approver read WHEN the execution now waits on wave 2 and they approve with wave 1\'s digest ' +
    'THEN it is refused (another wave) and nothing is sent; with wave 2\'s message\'s digest it is sent', async () => {
    // GIVEN: the messages of both waves, as the approvers got them.
    const wave1 = unitState(1, DIGEST);
    const wave2 = unitState(2, OTHER);
    const shownOf = (state: ReturnType<typeof unitState>) =>
      /^Approve digest: ([0-9a-f]{12})$/m.exec(unitApprovalMessage(state.deployment as any, state.unit as any, 'the-execution'))![1];
    const sfn = new FakeTaskWaits();
    const unit = sfn.add('sfn-deploy-unit', {
      state: STATE_NAMES.waitForUnitApproval,
      token: 'unit-token-2',
      parameters: { FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:TaskFunction`, Payload: { task: 'requestApproval', state: wave2, token: 'unit-token-2', executionId: 'the-execution' } },
    });
    const decide = (digest: string) =>
      runApproval(urlEvent(PRODUCTION_BOB, { executionArn: unit, decision: 'approve', digest }), { sfn: sfn.client, approvers: APPROVERS });

    // WHEN / THEN
    expect(shownOf(wave1)).not.toBe(shownOf(wave2));
    const late = await decide(shownOf(wave1));
    expect(late.statusCode).toBe(409);
    expect(bodyOf(late).message).toContain(`execution ${unit} now waits on another round than the one of digest ${shownOf(wave1)}`);
    expect(sfn.sendCalls()).toBe(0);
    expect((await decide(shownOf(wave2))).statusCode).toBe(200);
    expect(sfn.answers).toEqual([expect.objectContaining({ executionArn: unit, state: STATE_NAMES.waitForUnitApproval })]);
  });

  test('the digest of a wave is over its stacks in order, each with its change set\'s digest: another stack, order or change set is another digest', () => {
    const member = (stackName: string, digest?: string) =>
      ({ stackName, status: 'REVIEWED', review: { stackName, plan: digest ? 'EXECUTE' : 'CREATE', ...(digest ? { inspection: { digest } } : {}) } });
    const wave = (...members: ReturnType<typeof member>[]) =>
      approvalDigest({ unit: { members, review: members.map((m) => ({ stackName: m.stackName })) } as any });
    const base = wave(member('a', DIGEST), member('b', OTHER));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(wave(member('a', DIGEST), member('b', OTHER))).toBe(base);
    expect(wave(member('b', OTHER), member('a', DIGEST))).not.toBe(base);
    expect(wave(member('a', DIGEST), member('c', OTHER))).not.toBe(base);
    expect(wave(member('a', DIGEST), member('b', DIGEST))).not.toBe(base);
    expect(wave(member('a', DIGEST), member('b'))).not.toBe(base);
    expect(wave(member('a'), member('b'))).toBeUndefined();
    expect(approvalDigest({ inspection: { digest: DIGEST } })).toBe(DIGEST);
    expect(approvalDigest({ inspection: { digest: 'short' } })).toBeUndefined();
  });
});
