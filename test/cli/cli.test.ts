/**
 * The offline policy check: `cdk-sfn-deploy check` and `SafetyPolicy.evaluateChangeSet()` give the verdict
 * the deployed workflow gives on the same change set.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient, DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ChangeAction, ChangeSetReviewStep, Replacement, RuleVerdict, SafetyPolicy, StepFunctionsDeployAction } from '../../src';
import { main, signedHeaders } from '../../src/cli/main';
import { runTask } from '../../src/workflow/tasks';
import type { WorkflowState } from '../../src/workflow/tasks';
import { AppStage, cdkPipeline } from '../constructs/pipelines-app';

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
const CHANGE_SET_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs/1a2b';
const page1 = {
  ChangeSetName: 'cs',
  ChangeSetId: CHANGE_SET_ID,
  StackName: 'app',
  Status: 'CREATE_COMPLETE',
  NextToken: 'next',
  Changes: [change('Add', 'Queue', 'AWS::SQS::Queue'), change('Modify', 'Fn', 'AWS::Lambda::Function', { Replacement: 'False' })],
};
const page2 = {
  ChangeSetName: 'cs',
  ChangeSetId: CHANGE_SET_ID,
  StackName: 'app',
  Status: 'CREATE_COMPLETE',
  Changes: [change('Remove', 'Topic', 'AWS::SNS::Topic'), change('Modify', 'Version', 'AWS::Lambda::Version', { Replacement: 'True' })],
};
/**
 * Page two as the check takes it: DescribeChangeSet's page does not say which token it was requested with, so
 * a page fetched with a NextToken carries it as RequestNextToken (the AWS CLI's own describe-change-set
 * fetches every page and prints one description, which needs none).
 */
const page2Fetched = { ...page2, RequestNextToken: 'next' };
/** One complete page holding these changes. */
function onePage(changes: unknown[], extra: Record<string, unknown> = {}) {
  return { ChangeSetName: 'cs', ChangeSetId: CHANGE_SET_ID, StackName: 'app', Status: 'CREATE_COMPLETE', Changes: changes, ...extra };
}

test('GIVEN a change set whose second page removes a topic WHEN checked with the default policy THEN the CLI names the policy, prints a verdict per change and exits 1', async () => {
  const result = await run(['check', write('p1.json', page1), write('p2.json', page2Fetched)]);
  expect(result.code).toBe(1);
  expect(result.out).toMatch(/^Policy \(the default\): denyDestructiveChanges \(no deletion, no replacement, no dynamic change\)/);
  expect(result.out).toMatch(/DENY\s+Topic\s+AWS::SNS::Topic\s+Remove\s+-\s+-\s+no-deletion/);
  expect(result.out).toMatch(/DENY\s+Version\s+AWS::Lambda::Version\s+Modify\s+True\s+-\s+no-replacement/);
  expect(result.out).toMatch(/ALLOW\s+Queue/);
  expect(result.out).toMatch(/Verdict: DENY \(4 changes\)/);
});

test('GIVEN only additions and in-place changes THEN the CLI exits 0, and one change is "1 change"', async () => {
  expect((await run(['check', write('safe.json', onePage(page1.Changes))])).code).toBe(0);
  const single = await run(['check', write('single.json', onePage([page1.Changes[0]]))]);
  expect(single.code).toBe(0);
  expect(single.out).toMatch(/Verdict: ALLOW \(1 change\)$/);
});

test('GIVEN a rules policy file that sends IAM changes to a person THEN the CLI exits 2', async () => {
  const policy = write('policy.json', {
    type: 'rules',
    defaultVerdict: 'ALLOW',
    rules: [{ verdict: 'REQUIRE_APPROVAL', resourceTypes: ['AWS::IAM::*'] }],
  });
  const cs = write('iam.json', onePage([change('Modify', 'Role', 'AWS::IAM::Role', { Replacement: 'False' })]));
  const result = await run(['check', '--policy', policy, cs]);
  expect(result.code).toBe(2);
  expect(result.out).toMatch(/REQUIRE_APPROVAL\s+Role/);
  expect(result.out).toMatch(new RegExp(`^Policy from ${policy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: rules \\(1 rule, first match decides, otherwise ALLOW\\)`));
});

test('GIVEN a rules policy on properties and drift, and a drift-aware change set THEN the CLI judges them as the workflow does', async () => {
  const policy = write('content.json', {
    type: 'rules',
    defaultVerdict: 'ALLOW',
    rules: [
      { verdict: 'REQUIRE_APPROVAL', resourceTypes: ['AWS::RDS::DBInstance'], properties: ['DBInstanceClass'] },
      { verdict: 'DENY', driftStatuses: ['DELETED'] },
    ],
  });
  const detail = (Name: string) => ({ Target: { Attribute: 'Properties', Name, RequiresRecreation: 'Never' } });
  const cs = write('drift.json', onePage([
    { Type: 'Resource', ResourceChange: { Action: 'Modify', LogicalResourceId: 'Db', ResourceType: 'AWS::RDS::DBInstance', Replacement: 'False', Details: [detail('DBInstanceClass')] } },
    { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'Gone', ResourceType: 'AWS::SQS::Queue', ResourceDriftStatus: 'DELETED' } },
    { Type: 'Resource', ResourceChange: { Action: 'SyncWithActual', LogicalResourceId: 'Synced', ResourceType: 'AWS::SNS::Topic', ResourceDriftStatus: 'MODIFIED' } },
  ]));
  const result = await run(['check', '--policy', policy, cs]);
  expect(result.code).toBe(1);
  expect(result.out).toMatch(/REQUIRE_APPROVAL\s+Db\s/);
  expect(result.out).toMatch(/DENY\s+Gone\s/);
  expect(result.out).toMatch(/ALLOW\s+Synced\s/);
  // The default policy lets a change that only syncs CloudFormation's record through.
  const byDefault = await run(['check', write('sync.json', onePage([
    { Type: 'Resource', ResourceChange: { Action: 'SyncWithActual', LogicalResourceId: 'Synced', ResourceType: 'AWS::SNS::Topic', ResourceDriftStatus: 'MODIFIED' } },
  ]))]);
  expect(byDefault.code).toBe(0);
  expect(byDefault.out).toMatch(/ALLOW\s+Synced\s+.*sync-with-actual-changes-metadata-only/);
});

test('GIVEN describe-change-set --include-property-values output THEN each refused change shows its property changes, secrets masked', async () => {
  const detail = (Path: string, BeforeValue: string, AfterValue: string) => ({ Target: { Attribute: 'Properties', Path, BeforeValue, AfterValue, AttributeChangeType: 'Modify' } });
  const cs = write('values.json', onePage([
    {
      Type: 'Resource',
      ResourceChange: {
        Action: 'Modify',
        LogicalResourceId: 'Db',
        ResourceType: 'AWS::RDS::DBInstance',
        Replacement: 'True',
        Details: [detail('/Properties/DBInstanceIdentifier', 'orders-1', 'orders-2'), detail('/Properties/MasterUserPassword', 'hunter2', 'swordfish')],
      },
    },
    {
      Type: 'Resource',
      ResourceChange: {
        Action: 'Modify',
        LogicalResourceId: 'Fn',
        ResourceType: 'AWS::Lambda::Function',
        Replacement: 'False',
        Details: [detail('/Properties/MemorySize', '128', '256')],
      },
    },
  ]));
  const result = await run(['check', cs]);
  expect(result.code).toBe(1);
  expect(result.out).toMatch(/DENY\s+Db .*\n\s+DBInstanceIdentifier: orders-1 -> orders-2\n\s+MasterUserPassword: \(masked\) -> \(masked\)\n/);
  // Allowed changes are listed without their properties.
  expect(result.out).not.toContain('MemorySize');
  expect(result.out).not.toMatch(/hunter2|swordfish/);
});

test('GIVEN a rules policy without defaultVerdict THEN it is accepted and an unmatched change is denied (DENY is the default)', async () => {
  const policy = write('no-default.json', { type: 'rules', rules: [{ verdict: 'ALLOW', actions: ['Add'] }] });
  const result = await run(['check', '--policy', policy, write('m.json', onePage([change('Modify', 'Fn', 'AWS::Lambda::Function', { Replacement: 'False' })]))]);
  expect(result.code).toBe(1);
  expect(result.out).toMatch(/otherwise DENY/);
  expect(result.out).toMatch(/DENY\s+Fn\s+.*default-verdict/);
});

test('GIVEN the action\'s UserParameters as the policy file THEN its policy is used', async () => {
  const userParameters = write('up.json', {
    stackName: 'app',
    templatePath: 't.yaml',
    policy: { type: 'denyDestructive', allowReplacementOfTypes: ['AWS::Lambda::Version'] },
  });
  const cs = write('v.json', onePage([page2.Changes[1]]));
  const result = await run(['check', '--policy', userParameters, cs]);
  expect(result.code).toBe(0);
  expect(result.out).toMatch(/\(UserParameters\): denyDestructiveChanges .*replacement allowed for types AWS::Lambda::Version/);
});

test('GIVEN the UserParameters of an action for several stacks, or of a review step, as the policy file THEN its policy is used', async () => {
  const cs = write('unit-cs.json', onePage([page2.Changes[1]]));
  const unit = write('unit-up.json', { stacks: ['network', { stackName: 'api', templatePath: 'api.yaml' }], policy: { type: 'allowAll' } });
  expect(await run(['check', '--policy', unit, cs])).toMatchObject({ code: 0, out: expect.stringMatching(/\(UserParameters\): allowAll/) });
  const review = write('review-up.json', { v: 1, prepared: 'PipelineChange', stacks: ['Prod-Data'], policy: { type: 'allowAll' } });
  expect(await run(['check', '--policy', review, cs])).toMatchObject({ code: 0, out: expect.stringMatching(/\(UserParameters\): allowAll/) });
});

test('GIVEN a policy file or UserParameters with a key it cannot hold (a typo) THEN it is refused with the known keys, sorted, exit 4', async () => {
  const cs = write('typo-cs.json', onePage(page1.Changes));
  const policy = write('typo-policy.json', { type: 'rules', rules: [{ verdict: 'ALLOW', actions: ['Add'] }], default_verdict: 'ALLOW' });
  expect(await run(['check', '--policy', policy, cs])).toMatchObject({
    code: 4, err: expect.stringMatching(/is not a valid policy: unknown keys default_verdict \(known: defaultVerdict, rules, type\)$/),
  });
  const rule = write('typo-rule.json', { type: 'rules', rules: [{ verdict: 'ALLOW', action: ['Add'] }] });
  expect((await run(['check', '--policy', rule, cs])).err).toMatch(/rule #1: unknown keys action \(known: actions, broadensPermissions, description, .*, verdict\)/);
  // A misspelt "policy" in UserParameters must not leave the default policy in its place.
  const userParameters = write('typo-up.json', { stackName: 'app', templatePath: 't.yaml', polcy: { type: 'allowAll' } });
  const result = await run(['check', '--policy', userParameters, cs]);
  expect(result).toMatchObject({ code: 4, out: '' });
  expect(result.err).toMatch(/typo-up\.json has unknown keys "polcy" \(known: assumeRoleArn, blockingAlarms, capabilities, .*, onUnsafe, .*, policy, .*, v, whenAlarmFiring\)$/);
});

test('GIVEN a file that is not a policy (a template) THEN it is refused with what a policy file looks like, exit 4', async () => {
  const template = write('template.json', { AWSTemplateFormatVersion: '2010-09-09', Resources: { Q: { Type: 'AWS::SQS::Queue' } } });
  const result = await run(['check', '--policy', template, write('ok1.json', onePage(page1.Changes))]);
  expect(result.code).toBe(4);
  expect(result.err).toMatch(/template\.json is not a policy: a policy file holds a policy document .*--assembly cdk\.out --action NAME/);
});

describe('the check sees everything or says so (exit 3, never ALLOW)', () => {
  const cases: [string, Record<string, unknown>[], RegExp][] = [
    ['a change set that FAILED for another reason than "no changes"',
      [onePage([], { Status: 'FAILED', StatusReason: 'Template format error: Unresolved resource dependencies [Vpc]' })],
      /change set cs of stack app failed: Template format error/],
    ['a change set still being created', [onePage([], { Status: 'CREATE_IN_PROGRESS' })], /is still being created \(CREATE_IN_PROGRESS\)/],
    ['a page without Status', [{ ChangeSetName: 'cs', StackName: 'app', Changes: [] }], /has no Status/],
    ['a page whose next page is missing', [page1], /its last page is missing/],
    ['the same page given twice', [page1, page1, page2Fetched], /a page is given more than once/],
    ['a description CloudFormation marks as incomplete', [onePage(page1.Changes, {
      StatusReason: '[WARN] --include-property-values option can return incomplete ChangeSet data because: Logical Id: Config, failed property validation',
    })], /described incompletely/],
  ];
  test.each(cases)('GIVEN %s THEN the CLI says what is missing and exits 3', async (_what, pages, message) => {
    const files = pages.map((p, i) => write(`incomplete-${i}.json`, p));
    const result = await run(['check', ...files]);
    expect(result.code).toBe(3);
    expect(result.out).toMatch(/Cannot judge: the change set is not complete, so it is not allowed:/);
    expect(result.out).toMatch(message);
    expect(result.out).toMatch(/Verdict: DENY \(incomplete;/);
    const offline = SafetyPolicy.denyDestructiveChanges().evaluateChangeSet(pages);
    expect(offline.verdict).toBe(RuleVerdict.DENY);
    expect(offline.incomplete.join(' ')).toMatch(message);
  });

  test('GIVEN a change set that FAILED because it holds no changes THEN it is complete: ALLOW with 0 changes', async () => {
    const empty = onePage([], { Status: 'FAILED', StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set." });
    const result = await run(['check', write('empty.json', empty)]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/Verdict: ALLOW \(0 changes\)/);
  });
});

describe('pages: the check allows only a description it can prove whole (first, middle and last page, each once)', () => {
  // Three pages of changes the default policy allows, as fetched one by one: each page after the first says
  // which NextToken it was requested with; DescribeChangeSet's own NextToken names the page after it.
  const first = onePage([change('Add', 'QueueA', 'AWS::SQS::Queue')], { NextToken: 't1' });
  const middle = onePage([change('Modify', 'Fn', 'AWS::Lambda::Function', { Replacement: 'False' })], { RequestNextToken: 't1', NextToken: 't2' });
  const last = onePage([change('Add', 'QueueC', 'AWS::SQS::Queue')], { RequestNextToken: 't2' });
  const check = async (pages: Record<string, unknown>[]) => {
    const result = await run(['check', ...pages.map((p, i) => write(`pages-${i}.json`, p))]);
    const offline = SafetyPolicy.denyDestructiveChanges().evaluateChangeSet(pages);
    return { ...result, offline };
  };

  test('GIVEN every page, first to last THEN ALLOW (exit 0), the changes in page order', async () => {
    const result = await check([first, middle, last]);
    expect(result.code).toBe(0);
    expect(result.offline).toMatchObject({ verdict: RuleVerdict.ALLOW, incomplete: [] });
    expect(result.offline.changes.map((c) => c.logicalId)).toEqual(['QueueA', 'Fn', 'QueueC']);
  });

  test('GIVEN every page, out of order THEN the chain decides: ALLOW, the changes in page order', async () => {
    const result = await check([last, first, middle]);
    expect(result.code).toBe(0);
    expect(result.offline.changes.map((c) => c.logicalId)).toEqual(['QueueA', 'Fn', 'QueueC']);
  });

  test.each<[string, Record<string, unknown>[], RegExp]>([
    ['the first page missing', [middle, last], /its first page is missing \(every page given was requested with a NextToken/],
    ['the middle page missing', [first, last], /a page in the middle is missing \(no page given was requested with the NextToken of page 1; 1 more page follows a page not given\)/],
    ['the last page missing', [first, middle], /its last page is missing/],
    ['a later page alone (the first missing)', [last], /its first page is missing/],
    ['the middle page given twice', [first, middle, middle, last], /a page is given more than once/],
    ['the last page given twice', [first, middle, last, last], /a page is given more than once/],
    ['a page of another describe call mixed in', [first, middle, last, onePage([], { RequestNextToken: 'zz' })],
      /1 page given is not on the chain from the first page to the last/],
    ['pages that do not say which NextToken they were requested with', [first, onePage(last.Changes)],
      /2 pages say no NextToken they were requested with, so whether a page is missing before or between them cannot be told.*give the whole description in one file.*"RequestNextToken"/],
  ])('GIVEN %s THEN incomplete: exit 3, never ALLOW', async (_what, pages, message) => {
    const result = await check(pages);
    expect(result.code).toBe(3);
    expect(result.out).toMatch(message);
    expect(result.offline.verdict).toBe(RuleVerdict.DENY);
    expect(result.offline.incomplete.join(' ')).toMatch(message);
  });

  test('GIVEN the AWS CLI\'s whole description (every page in one, no NextToken) THEN it is complete', async () => {
    const result = await check([onePage([...first.Changes, ...middle.Changes, ...last.Changes])]);
    expect(result.code).toBe(0);
    expect(result.offline.changes).toHaveLength(3);
  });

  test('GIVEN a RequestNextToken that is not a token THEN bad input (exit 4), saying what it must be', async () => {
    const pages = [first, { ...middle, RequestNextToken: 7 }];
    const result = await run(['check', ...pages.map((p, i) => write(`bad-token-${i}.json`, p))]);
    expect(result.code).toBe(4);
    expect(result.err).toMatch(/page 2: "RequestNextToken" must be the NextToken the page was requested with/);
    expect(() => SafetyPolicy.denyDestructiveChanges().evaluateChangeSet(pages)).toThrow(/"RequestNextToken" must be/);
  });

  test('GIVEN a nested change set whose first page is missing THEN incomplete too', async () => {
    const NESTED = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs-Net-1/ab';
    const parent = onePage([change('Modify', 'Net', 'AWS::CloudFormation::Stack', { Replacement: 'False', ChangeSetId: NESTED })]);
    const nestedLast = {
      ChangeSetName: 'cs-Net-1',
      ChangeSetId: NESTED,
      StackName: 'app-Net',
      Status: 'CREATE_COMPLETE',
      RequestNextToken: 'n1',
      Changes: [change('Add', 'Subnet', 'AWS::EC2::Subnet')],
    };
    const result = await check([parent, nestedLast]);
    expect(result.code).toBe(3);
    expect(result.out).toMatch(/change set cs-Net-1 of stack app-Net: its first page is missing/);
  });
});

describe('nested stacks', () => {
  const NESTED_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs-Network-1ABC/9f8e';
  const parent = onePage([
    change('Add', 'Queue', 'AWS::SQS::Queue'),
    change('Modify', 'Network', 'AWS::CloudFormation::Stack', { Replacement: 'False', ChangeSetId: NESTED_ID }),
  ]);
  const nested = {
    ChangeSetName: 'cs-Network-1ABC',
    ChangeSetId: NESTED_ID,
    StackName: 'app-Network-1ABC',
    Status: 'CREATE_COMPLETE',
    ParentChangeSetId: CHANGE_SET_ID,
    Changes: [change('Remove', 'Table', 'AWS::DynamoDB::Table')],
  };

  test('GIVEN a nested stack change whose change set is not given THEN it is refused as not inspected (exit 1), naming how to describe it', async () => {
    const result = await run(['check', write('parent.json', parent)]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(new RegExp(`DENY\\s+Network\\s+AWS::CloudFormation::Stack\\s+Modify\\s+False\\s+-\\s+nested-stack-not-inspected: its change set was not given \\(describe it with --change-set-name ${NESTED_ID.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`));
  });

  test('GIVEN the nested change set\'s pages too THEN the table removed inside is found and named with its path', async () => {
    const result = await run(['check', write('parent2.json', parent), write('nested.json', nested)]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/ALLOW\s+Network\s+AWS::CloudFormation::Stack/);
    expect(result.out).toMatch(/DENY\s+Network\/Table\s+AWS::DynamoDB::Table\s+Remove\s+-\s+-\s+no-deletion/);
    const offline = SafetyPolicy.denyDestructiveChanges().evaluateChangeSet([parent, nested]);
    expect(offline.changes.find((c) => c.logicalId === 'Table')).toMatchObject({ nestedStackPath: ['Network'], verdict: RuleVerdict.DENY });
  });

  test('GIVEN a nested stack change in a change set created without nested stacks THEN it is refused', async () => {
    const flat = onePage([change('Modify', 'Network', 'AWS::CloudFormation::Stack', { Replacement: 'False' })]);
    const result = await run(['check', write('flat.json', flat)]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/nested-stack-not-inspected: the change set was created without its nested stacks/);
  });
});

test('GIVEN files in UTF-16 with a byte-order mark (Windows PowerShell\'s >) or UTF-8 with one THEN they are read', async () => {
  const utf16 = path.join(dir, 'utf16.json');
  fs.writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(onePage(page1.Changes)), 'utf16le')]));
  const bom = path.join(dir, 'bom.json');
  fs.writeFileSync(bom, `\ufeff${JSON.stringify(onePage(page1.Changes))}`);
  expect((await run(['check', utf16])).code).toBe(0);
  expect((await run(['check', bom])).code).toBe(0);
});

test('GIVEN the output of --query Changes THEN it is refused with the shape that is expected, exit 4', async () => {
  const result = await run(['check', write('query.json', page1.Changes)]);
  expect(result.code).toBe(4);
  expect(result.err).toMatch(/page 1 is a list, not the output of describe-change-set: give the whole output .*not a part of it such as `--query Changes`/);
});

test('GIVEN a change set with 150,000 changes THEN the check and evaluateChangeSet judge them all (no stack overflow)', async () => {
  const changes = Array.from({ length: 150_000 }, (_, i) => change('Add', `Queue${i}`, 'AWS::SQS::Queue'));
  const offline = SafetyPolicy.denyDestructiveChanges().evaluateChangeSet([onePage(changes)]);
  expect(offline.verdict).toBe(RuleVerdict.ALLOW);
  expect(offline.changes).toHaveLength(150_000);
  const result = await run(['check', write('huge.json', onePage(changes))]);
  expect(result.code).toBe(0);
  expect(result.out).toMatch(/Verdict: ALLOW \(150000 changes\)/);
});

test('usage errors exit 64; unreadable or wrong input exits 4, without quoting the file', async () => {
  expect(await run([])).toMatchObject({ code: 64 });
  expect((await run(['nope'])).err).toMatch(/unknown command "nope"/);
  expect((await run(['check'])).err).toMatch(/give at least one change set file/);
  expect(await run(['check', '--frobnicate', 'x.json'])).toMatchObject({ code: 64, err: expect.stringMatching(/Unknown option '--frobnicate'/) });
  expect(await run(['check', '--assembly', 'cdk.out', 'x.json'])).toMatchObject({ code: 64, err: expect.stringMatching(/--assembly and --action together/) });
  const missing = await run(['check', path.join(dir, 'missing.json')]);
  expect(missing).toMatchObject({ code: 4, err: expect.stringMatching(/cannot read .*missing\.json: no such file/) });
  fs.writeFileSync(path.join(dir, 'bad.json'), '{ "password": "hunter2", not json');
  const bad = await run(['check', path.join(dir, 'bad.json')]);
  expect(bad).toMatchObject({ code: 4, err: expect.stringMatching(/bad\.json is not valid JSON: .* at line 1, column \d+/) });
  expect(bad.err).not.toContain('hunter2');
  expect((await run(['check', write('nochanges.json', { Status: 'x' })])).err).toMatch(/page 1 has no "Changes" list/);
  expect((await run(['check', '--policy', write('badpolicy.json', { type: 'rules', rules: [] }), write('ok.json', page1)])))
    .toMatchObject({ code: 4, err: expect.stringMatching(/is not a valid policy: .*rules must be a non-empty list/) });
  // A rule without criteria would match every change: the policy file is refused, not applied.
  const catchAll = write('catchall.json', { type: 'rules', rules: [{ verdict: 'ALLOW' }] });
  expect(await run(['check', '--policy', catchAll, write('ok.json', onePage(page2.Changes))]))
    .toMatchObject({ code: 4, err: expect.stringMatching(/is not a valid policy: rule #1 has no criteria, so it would match every change: .*use defaultVerdict/) });
});

test('GIVEN the same change set THEN the CLI, SafetyPolicy.evaluateChangeSet() and the workflow\'s inspection agree', async () => {
  const policy = SafetyPolicy.fromRules([
    { verdict: RuleVerdict.ALLOW, resourceTypes: ['AWS::Lambda::Version'] },
    { verdict: RuleVerdict.DENY, actions: [ChangeAction.REMOVE] },
    { verdict: RuleVerdict.DENY, replacements: [Replacement.TRUE, Replacement.CONDITIONAL] },
  ], { defaultVerdict: RuleVerdict.ALLOW });
  // The document the action writes into its configuration, as the construct gets it.
  const document = policy._bind(new Stack(), new iam.AccountRootPrincipal()).document;

  // The workflow: the real inspect task against a CloudFormation fake that pages like the real API.
  const cfn = mockClient(CloudFormationClient);
  cfn.on(DescribeChangeSetCommand).callsFake((input) => (input.NextToken === 'next' ? page2 : page1));
  const state = {
    deployment: { stackName: 'app', changeSetName: 'cs', policy: document, onUnsafe: { type: 'fail' }, includeNestedStacks: true },
    changeSet: { name: 'cs', id: CHANGE_SET_ID, type: 'UPDATE', waitSeconds: 5 },
  } as unknown as WorkflowState;
  const inspection = await runTask({ task: 'inspectChangeSet', state }, {
    cloudformation: new CloudFormationClient({}), s3: new S3Client({}), region: 'us-east-1',
  }) as { verdict: string; violations: { logicalId: string; rule: string }[] };
  cfn.restore();

  const offline = policy.evaluateChangeSet([page1, page2Fetched]);
  const cli = await run(['check', '--policy', write('rules.json', document), write('a.json', page1), write('b.json', page2Fetched)]);

  expect(inspection.verdict).toBe('DENY');
  expect(offline.verdict).toBe(RuleVerdict.DENY);
  expect(cli.code).toBe(1);
  const denied = offline.changes.filter((c) => c.verdict !== RuleVerdict.ALLOW).map((c) => c.logicalId);
  expect(inspection.violations.map((v) => v.logicalId)).toEqual(denied);
  expect(denied).toEqual(['Topic']);
  expect(cli.out).toMatch(/DENY\s+Topic/);
  expect(cli.out).toMatch(/ALLOW\s+Version/);
});

describe('approve and reject answer a deployment waiting for a person, through the approval function', () => {
  const URL = 'https://a1b2c3d4e5f6.lambda-url.eu-west-1.on.aws/';
  const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:DeployWorkflow:sfn-deploy-7c1d2e3f';
  const BY = 'arn:aws:sts::123456789012:assumed-role/ProductionApprovers/alice';
  /** The "Approve digest" of the approval message. */
  const DIGEST = '3f2a9c0d4e5b';

  /** The approval function as a stub: what it was sent, and its answer. */
  function functionUrl(status = 200, answer: unknown = { outcome: 'APPROVED', by: BY, message: 'Approved: the change set will be executed.' }) {
    const calls: { url: string; body: any }[] = [];
    return {
      calls,
      sender: () => async (url: string, body: string) => {
        calls.push({ url, body: JSON.parse(body) });
        return { status, body: JSON.stringify(answer) };
      },
    };
  }

  test('GIVEN the URL, the execution and the digest WHEN approved THEN the function gets {executionArn, decision approve, digest, comment} and the CLI says how it was recorded', async () => {
    const f = functionUrl();
    const out: string[] = [];
    const code = await main(['approve', '--url', URL, '--execution', EXECUTION, '--digest', DIGEST, '--comment', 'expected: table is recreated empty'], (s) => out.push(s), () => undefined, f.sender);
    expect(code).toBe(0);
    expect(f.calls).toEqual([{ url: URL, body: { executionArn: EXECUTION, decision: 'approve', digest: DIGEST, comment: 'expected: table is recreated empty' } }]);
    expect(out.join('')).toBe(`Approved: the change set will be executed. Recorded as ${BY}.`);
  });

  test('GIVEN --by WHEN rejected THEN the name is not sent (the function records the caller as AWS authenticated them) and the CLI says it is ignored', async () => {
    const f = functionUrl(200, { outcome: 'REJECTED', by: BY, message: 'Rejected: the change set will be deleted and the deployment fails.' });
    const err: string[] = [];
    expect(await main(['reject', '--url', URL, '--execution', EXECUTION, '--digest', DIGEST, '--by', 'bob', '--comment', 'not during business hours'], () => undefined, (s) => err.push(s), f.sender)).toBe(0);
    expect(f.calls).toEqual([{ url: URL, body: { executionArn: EXECUTION, decision: 'reject', digest: DIGEST, comment: 'not during business hours' } }]);
    expect(JSON.stringify(f.calls)).not.toContain('bob');
    expect(err.join('')).toMatch(/--by is ignored: the approval records you by your AWS identity/);
  });

  test('a task token, a missing URL or execution, a URL that is no function URL, or an unknown option is a usage error; a refusal exits 1 with its reason', async () => {
    const err: string[] = [];
    const f = functionUrl();
    expect(await main(['approve', '--task-token', 'tok-1'], () => undefined, (s) => err.push(s), f.sender)).toBe(64);
    expect(err.join('')).toMatch(/--task-token is gone: approvers no longer answer with a task token; give --url and --execution/);
    expect(await main(['approve', '--url', URL], () => undefined, (s) => err.push(s), f.sender)).toBe(64);
    expect(err.join('')).toMatch(/--url, --execution and --digest are required/);
    expect(await main(['approve', '--url', 'https://example.com/approve', '--execution', EXECUTION, '--digest', DIGEST], () => undefined, (s) => err.push(s), f.sender)).toBe(64);
    expect(err.join('')).toMatch(/is not a Lambda function URL/);
    expect(await main(['reject', '--url', URL, '--execution', EXECUTION, '--digest', DIGEST, '--force', 'x'], () => undefined, (s) => err.push(s), f.sender)).toBe(64);
    expect(err.join('')).toMatch(/Unknown option '--force'/);
    expect(f.calls).toEqual([]);
    const refusing = functionUrl(403, { outcome: 'REFUSED', message: `${BY} is not granted approval on the action of stack prod-app` });
    expect(await main(['approve', '--url', URL, '--execution', EXECUTION, '--digest', DIGEST], () => undefined, (s) => err.push(s), refusing.sender)).toBe(1);
    expect(err.join('')).toMatch(/refused \(HTTP 403\): .* is not granted approval on the action of stack prod-app/);
  });

  test.each(['approve', 'reject'])('GIVEN no --digest, or one that is no digest, WHEN %s THEN it is a usage error and nothing is sent ' +
    '(a decision names what it decides on: a late one must not reach another change set or wave)', async (command) => {
    const err: string[] = [];
    const f = functionUrl();
    expect(await main([command, '--url', URL, '--execution', EXECUTION, '--comment', 'ok'], () => undefined, (s) => err.push(s), f.sender)).toBe(64);
    expect(err.join('')).toMatch(/--url, --execution and --digest are required .*"Approve digest"/);
    expect(await main([command, '--url', URL, '--execution', EXECUTION, '--digest', '3f2a9c'], () => undefined, (s) => err.push(s), f.sender)).toBe(64);
    expect(err.join('')).toMatch(/--digest 3f2a9c is not a digest: give the 12 hex characters of the message's "Approve digest"/);
    expect(f.calls).toEqual([]);
  });

  test('the request is signed with SigV4 for the lambda service in the URL\'s region, with the caller\'s credentials', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const headers = await signedHeaders(URL, '{"decision":"approve"}', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, require('@smithy/signature-v4'));
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/);
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });
});

describe('--assembly finds every action of this library in a synthesized cloud assembly', () => {
  /**
   * One app, synthesized into a cloud assembly as `cdk synth` writes cdk.out: a CodePipeline pipeline with an
   * action for one stack and one for two stacks as a unit, and a CDK Pipelines pipeline whose stage's stacks a
   * ChangeSetReviewStep reviews.
   */
  const assembly = (() => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cli-cdk-out-')) });
    const stack = new Stack(app, 'Delivery');
    const source = new codepipeline.Artifact('Source');
    const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', {
      stages: [{
        stageName: 'Source',
        actions: [new cpactions.S3SourceAction({ actionName: 'Source', bucket: new s3.Bucket(stack, 'SourceBucket', { versioned: true }), bucketKey: 'source.zip', output: source })],
      }],
    });
    pipeline.addStage({ stageName: 'Prod' }).addAction(new StepFunctionsDeployAction(stack, 'Deploy', {
      actionName: 'Deploy', stackName: 'app', environmentName: 'prod', templatePath: source.atPath('app.yaml'), adminPermissions: true,
    }));
    pipeline.addStage({ stageName: 'Release' }).addAction(new StepFunctionsDeployAction(stack, 'Release', {
      actionName: 'Release',
      environmentName: 'prod',
      stacks: [{ stackName: 'network', templatePath: source.atPath('network.yaml') }, { stackName: 'api', templatePath: source.atPath('api.yaml') }],
      safetyPolicy: SafetyPolicy.allowAll(),
      adminPermissions: true,
    }));
    const p = cdkPipeline(app);
    const stage = new AppStage(app, 'Beta', { withTable: true, topics: 'independent' });
    p.pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage, { stepId: 'Review' }) });
    return app.synth().directory;
  })();
  const removal = () => write('removal.json', onePage([change('Remove', 'Topic', 'AWS::SNS::Topic')]));

  test('GIVEN an action for one stack THEN its policy is used, naming the stack', async () => {
    const result = await run(['check', '--assembly', assembly, '--action', 'Prod/Deploy', removal()]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^Policy of Delivery\/Pipeline\w*\/Prod\/Deploy \(deploys stack prod-app\): denyDestructiveChanges/);
  });

  test('GIVEN an action for several stacks (stacks) THEN it is found, its policy used, and the stacks it deploys named', async () => {
    const result = await run(['check', '--assembly', assembly, '--action', 'Release', removal()]);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toMatch(/^Policy of Delivery\/Pipeline\w*\/Release\/Release \(deploys 2 stacks as one unit: prod-network, prod-api\): allowAll/);
  });

  test('GIVEN a CDK Pipelines stage reviewed by ChangeSetReviewStep THEN its review step is found, naming the stacks it reviews', async () => {
    // CDK Pipelines may name the step's action after a stack (`Data.Review`): the step's id finds it.
    const result = await run(['check', '--assembly', assembly, '--action', 'Review', removal()]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/^Policy of PipelineStack\/Pipeline\w*\/Beta\/(\w+\.)?Review \(reviews the change sets CDK Pipelines prepared for Beta-Data, Beta-Topics\): denyDestructiveChanges/);
  });

  test('GIVEN a name the assembly does not have THEN "it has:" lists every action and step, each with what it deploys (exit 4)', async () => {
    const result = await run(['check', '--assembly', assembly, '--action', 'Nope', removal()]);
    expect(result.code).toBe(4);
    expect(result.err).toMatch(/has no StepFunctionsDeployAction or ChangeSetReviewStep named Nope \(it has: /);
    expect(result.err).toMatch(/Delivery\/Pipeline\w*\/Prod\/Deploy \(deploys stack prod-app\)/);
    expect(result.err).toMatch(/Delivery\/Pipeline\w*\/Release\/Release \(deploys 2 stacks as one unit: prod-network, prod-api\)/);
    expect(result.err).toMatch(/PipelineStack\/Pipeline\w*\/Beta\/(\w+\.)?Review \(reviews the change sets CDK Pipelines prepared for Beta-Data, Beta-Topics\)/);
  });
});
