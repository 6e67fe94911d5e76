/**
 * The offline policy check: `cdk-sfn-deploy check` and `SafetyPolicy.evaluateChangeSet()` give the verdict
 * the deployed workflow gives on the same change set.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient, DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
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
function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(args, (s) => out.push(s), (s) => err.push(s));
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

test('GIVEN a change set whose second page removes a topic WHEN checked with the default policy THEN the CLI prints a verdict per change and exits 1', () => {
  const result = run(['check', write('p1.json', page1), write('p2.json', page2)]);
  expect(result.code).toBe(1);
  expect(result.out).toMatch(/DENY\s+Topic\s+AWS::SNS::Topic\s+Remove\s+-\s+-\s+no-deletion/);
  expect(result.out).toMatch(/DENY\s+Version\s+AWS::Lambda::Version\s+Modify\s+True\s+-\s+no-replacement/);
  expect(result.out).toMatch(/ALLOW\s+Queue/);
  expect(result.out).toMatch(/Verdict: DENY \(4 changes\)/);
});

test('GIVEN only additions and in-place changes THEN the CLI exits 0', () => {
  expect(run(['check', write('safe.json', { Changes: page1.Changes })]).code).toBe(0);
});

test('GIVEN a rules policy file that sends IAM changes to a person THEN the CLI exits 2', () => {
  const policy = write('policy.json', {
    type: 'rules',
    defaultVerdict: 'ALLOW',
    rules: [{ verdict: 'REQUIRE_APPROVAL', resourceTypes: ['AWS::IAM::*'] }],
  });
  const cs = write('iam.json', { Changes: [change('Modify', 'Role', 'AWS::IAM::Role', { Replacement: 'False' })] });
  const result = run(['check', '--policy', policy, cs]);
  expect(result.code).toBe(2);
  expect(result.out).toMatch(/REQUIRE_APPROVAL\s+Role/);
});

test('GIVEN the action\'s UserParameters as the policy file THEN its policy is used', () => {
  const userParameters = write('up.json', {
    stackName: 'app',
    templatePath: 't.yaml',
    policy: { type: 'denyDestructive', allowReplacementOfTypes: ['AWS::Lambda::Version'] },
  });
  const cs = write('v.json', { Changes: [page2.Changes[1]] });
  expect(run(['check', '--policy', userParameters, cs]).code).toBe(0);
});

test('bad input gets a clear error and exit 64', () => {
  expect(run([])).toMatchObject({ code: 64 });
  expect(run(['nope']).err).toMatch(/unknown command "nope"/);
  expect(run(['check']).err).toMatch(/give at least one change set file/);
  expect(run(['check', path.join(dir, 'missing.json')]).err).toMatch(/cannot read .*missing\.json: ENOENT/);
  fs.writeFileSync(path.join(dir, 'bad.json'), '{ not json');
  expect(run(['check', path.join(dir, 'bad.json')]).err).toMatch(/bad\.json is not valid JSON/);
  expect(run(['check', write('nochanges.json', { Status: 'x' })]).err).toMatch(/page 1 is not the output of describe-change-set/);
  expect(run(['check', '--policy', write('badpolicy.json', { type: 'rules', rules: [] }), write('ok.json', page1)]).err)
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
  const cli = run(['check', '--policy', write('rules.json', document), write('a.json', page1), write('b.json', page2)]);

  expect(inspection.verdict).toBe('UNSAFE');
  expect(offline.verdict).toBe(RuleVerdict.DENY);
  expect(cli.code).toBe(1);
  const denied = offline.changes.filter((c) => c.verdict !== RuleVerdict.ALLOW).map((c) => c.logicalId);
  expect(inspection.violations.map((v) => v.logicalId)).toEqual(denied);
  expect(denied).toEqual(['Topic']);
  expect(cli.out).toMatch(/DENY\s+Topic/);
  expect(cli.out).toMatch(/ALLOW\s+Version/);
});
