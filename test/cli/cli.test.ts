/**
 * The offline policy check: `cdk-sfn-deploy check` and `SafetyPolicy.evaluateChangeSet()` give the verdict
 * the deployed workflow gives on the same change set.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient, DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { ChangeAction, Replacement, RuleVerdict, SafetyPolicy } from '../../src';
import { main } from '../../src/cli/main';
import { runTask } from '../../src/workflow/tasks';
import type { WorkflowState } from '../../src/workflow/tasks';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
function write(name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}
function change(Action: string, LogicalResourceId: string, ResourceType: string, extra: Record<string, string> = {}) {
  return { Type: 'Resource', ResourceChange: { Action, LogicalResourceId, ResourceType, ...extra } };
}
async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// Two pages, as `aws cloudformation describe-change-set` returns them; the Remove is on page two.
const page1 = {
  ChangeSetName: 'cs',
  StackName: 'app',
  Status: 'CREATE_COMPLETE',
  NextToken: 'next',
  Changes: [change('Add', 'Queue', 'AWS::SQS::Queue'), change('Modify', 'Fn', 'AWS::Lambda::Function', { Replacement: 'False' })],
};
const page2 = {
  ChangeSetName: 'cs',
  StackName: 'app',
  Status: 'CREATE_COMPLETE',
  Changes: [change('Remove', 'Topic', 'AWS::SNS::Topic'), change('Modify', 'Version', 'AWS::Lambda::Version', { Replacement: 'True' })],
};

test('GIVEN a change set whose second page removes a topic WHEN checked with the default policy THEN the CLI prints a verdict per change and exits 1', async () => {
  const result = await run(['check', write('p1.json', page1), write('p2.json', page2)]);
  expect(result.code).toBe(1);
  expect(result.out).toMatch(/DENY\s+Topic\s+AWS::SNS::Topic\s+Remove\s+-\s+-\s+no-deletion/);
  expect(result.out).toMatch(/DENY\s+Version\s+AWS::Lambda::Version\s+Modify\s+True\s+-\s+no-replacement/);
  expect(result.out).toMatch(/ALLOW\s+Queue/);
  expect(result.out).toMatch(/Verdict: DENY \(4 changes\)/);
});

test('GIVEN only additions and in-place changes THEN the CLI exits 0', async () => {
  expect((await run(['check', write('safe.json', { Changes: page1.Changes })])).code).toBe(0);
});

test('GIVEN a rules policy file that sends IAM changes to a person THEN the CLI exits 2', async () => {
  const policy = write('policy.json', {
    type: 'rules',
    defaultVerdict: 'ALLOW',
    rules: [{ verdict: 'REQUIRE_APPROVAL', resourceTypes: ['AWS::IAM::*'] }],
  });
  const cs = write('iam.json', { Changes: [change('Modify', 'Role', 'AWS::IAM::Role', { Replacement: 'False' })] });
  const result = await run(['check', '--policy', policy, cs]);
  expect(result.code).toBe(2);
  expect(result.out).toMatch(/REQUIRE_APPROVAL\s+Role/);
});

test('GIVEN the action\'s UserParameters as the policy file THEN its policy is used', async () => {
  const userParameters = write('up.json', {
    stackName: 'app',
    templatePath: 't.yaml',
    policy: { type: 'denyDestructive', allowReplacementOfTypes: ['AWS::Lambda::Version'] },
  });
  const cs = write('v.json', { Changes: [page2.Changes[1]] });
  expect((await run(['check', '--policy', userParameters, cs])).code).toBe(0);
});

test('bad input gets a clear error and exit 64', async () => {
  expect(await run([])).toMatchObject({ code: 64 });
  expect((await run(['nope'])).err).toMatch(/unknown command "nope"/);
  expect((await run(['check'])).err).toMatch(/give at least one change set file/);
  expect((await run(['check', path.join(dir, 'missing.json')])).err).toMatch(/cannot read .*missing\.json: ENOENT/);
  fs.writeFileSync(path.join(dir, 'bad.json'), '{ not json');
  expect((await run(['check', path.join(dir, 'bad.json')])).err).toMatch(/bad\.json is not valid JSON/);
  expect((await run(['check', write('nochanges.json', { Status: 'x' })])).err).toMatch(/page 1 is not the output of describe-change-set/);
  expect((await run(['check', '--policy', write('badpolicy.json', { type: 'rules', rules: [] }), write('ok.json', page1)])).err)
    .toMatch(/invalid policy: .*rules must be a non-empty list/);
});

test('GIVEN the same change set THEN the CLI, SafetyPolicy.evaluateChangeSet() and the workflow\'s inspection agree', async () => {
  const policy = SafetyPolicy.fromRules([
    { verdict: RuleVerdict.ALLOW, resourceTypes: ['AWS::Lambda::Version'] },
    { verdict: RuleVerdict.DENY, actions: [ChangeAction.REMOVE] },
    { verdict: RuleVerdict.DENY, replacements: [Replacement.TRUE, Replacement.CONDITIONAL] },
    { verdict: RuleVerdict.ALLOW },
  ]);
  const document = policy._render();

  // The workflow: the real inspect task against a CloudFormation fake that pages like the real API.
  const cfn = mockClient(CloudFormationClient);
  cfn.on(DescribeChangeSetCommand).callsFake((input) => (input.NextToken === 'next' ? page2 : page1));
  const state = {
    deployment: { stackName: 'app', changeSetName: 'cs', policy: document, onUnsafe: { type: 'fail' } },
  } as unknown as WorkflowState;
  const inspection = await runTask({ task: 'inspectChangeSet', state }, {
    cloudformation: new CloudFormationClient({}), s3: new S3Client({}), region: 'us-east-1',
  }) as { verdict: string; violations: { logicalId: string; rule: string }[] };
  cfn.restore();

  const offline = policy.evaluateChangeSet([page1, page2]);
  const cli = await run(['check', '--policy', write('rules.json', document), write('a.json', page1), write('b.json', page2)]);

  expect(inspection.verdict).toBe('UNSAFE');
  expect(offline.verdict).toBe(RuleVerdict.DENY);
  expect(cli.code).toBe(1);
  const denied = offline.changes.filter((c) => c.verdict !== RuleVerdict.ALLOW).map((c) => c.logicalId);
  expect(inspection.violations.map((v) => v.logicalId)).toEqual(denied);
  expect(denied).toEqual(['Topic']);
  expect(cli.out).toMatch(/DENY\s+Topic/);
  expect(cli.out).toMatch(/ALLOW\s+Version/);
});

describe('approve and reject answer a deployment waiting for a person', () => {
  function recorder() {
    const calls: { kind: string; token: string; body: string }[] = [];
    return {
      calls,
      sender: () => ({
        approve: async (token: string, output: string) => { calls.push({ kind: 'approve', token, body: output }); },
        reject: async (token: string, cause: string) => { calls.push({ kind: 'reject', token, body: cause }); },
      }),
    };
  }

  test('GIVEN a task token WHEN approved THEN SendTaskSuccess gets {approved: true, by, comment}', async () => {
    const r = recorder();
    const out: string[] = [];
    const code = await main(['approve', '--task-token', 'tok-1', '--by', 'alice', '--comment', 'expected: table is recreated empty'], (s) => out.push(s), () => undefined, r.sender);
    expect(code).toBe(0);
    expect(r.calls).toEqual([{ kind: 'approve', token: 'tok-1', body: JSON.stringify({ approved: true, by: 'alice', comment: 'expected: table is recreated empty' }) }]);
    expect(out.join('')).toMatch(/Approved/);
  });

  test('GIVEN a task token WHEN rejected THEN SendTaskFailure gets the reason', async () => {
    const r = recorder();
    expect(await main(['reject', '--task-token', 'tok-2', '--by', 'bob', '--comment', 'not during business hours'], () => undefined, () => undefined, r.sender)).toBe(0);
    expect(r.calls).toEqual([{ kind: 'reject', token: 'tok-2', body: 'Rejected by bob: not during business hours' }]);
  });

  test('a missing token, an unknown option or a failed call is reported', async () => {
    const err: string[] = [];
    expect(await main(['approve'], () => undefined, (s) => err.push(s), recorder().sender)).toBe(64);
    expect(err.join('')).toMatch(/--task-token is required/);
    expect(await main(['reject', '--task-token', 't', '--force', 'x'], () => undefined, (s) => err.push(s), recorder().sender)).toBe(64);
    expect(err.join('')).toMatch(/unexpected "--force"/);
    const failing = () => ({
      approve: async () => { throw Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }); },
      reject: async () => undefined,
    });
    expect(await main(['approve', '--task-token', 't'], () => undefined, (s) => err.push(s), failing)).toBe(1);
    expect(err.join('')).toMatch(/TaskTimedOut: Task Timed Out/);
  });

  test('without a sender given, the real one uses @aws-sdk/client-sfn (here mocked) with the token', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await main(['approve', '--task-token', 'tok-3', '--by', 'carol'], () => undefined, () => undefined)).toBe(0);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input).toEqual({ taskToken: 'tok-3', output: '{"approved":true,"by":"carol"}' });
    sfn.restore();
  });
});
