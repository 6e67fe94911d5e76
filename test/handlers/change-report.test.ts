/**
 * The change report: with an output artifact, the trigger writes report.json and report.md into it when the
 * deployment ends, with CodePipeline's artifact credentials for the job, and the pipeline says where it is.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { unzipSync, strFromU8 } from 'fflate';
import { ARTIFACT_CREDENTIALS, STATE_MACHINE_ARN } from '../fakes';
import { ARTIFACT, deployment } from './fixtures';
import { JOB_ID, TriggerWorld, jobEvent } from './trigger-support';
import { evaluateChange } from '../../src/policy/evaluate';
import { LIMITS } from '../../src/shared/contract';
import { executionNameFor } from '../../src/shared/naming';
import { changeReport, reportMarkdown } from '../../src/trigger/change-report';
import type { ChangeReport } from '../../src/trigger/change-report';
import { runTrigger } from '../../src/trigger/trigger';
import { summarise } from '../../src/workflow/inspect';
import { pipelineAction, singleAction, userParametersOf } from '../constructs/helpers';

const EXECUTION_NAME = executionNameFor(JOB_ID);
const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${EXECUTION_NAME}`;
const TOKEN = JSON.stringify({ executionArn: EXECUTION_ARN });
const OUTPUT = { name: 'ChangeReport', bucket: 'codepipeline-artifacts-bucket', key: 'my-pipeline/ChangeRepo/Xa9b8c7.zip' };

const OUTPUT_OF_AN_APPROVED_UPDATE = {
  deployment: { stackName: 'prod-sample-app', changeSetName: 'sfn-deploy-a1b2' },
  stack: { next: 'CHANGE_SET' },
  inspection: {
    verdict: 'REQUIRE_APPROVAL',
    changeCount: 2,
    violationCount: 1,
    counts: { Modify: 2 },
    reason: '',
    nestedChangeSets: 0,
    changes: [
      { logicalId: 'Database', resourceType: 'AWS::RDS::DBInstance', action: 'Modify', replacement: 'False', verdict: 'REQUIRE_APPROVAL', rule: 'rule #1 (needs approval)' },
      { logicalId: 'Fn', resourceType: 'AWS::Lambda::Function', action: 'Modify', replacement: 'False', verdict: 'ALLOW', rule: 'rule #2' },
    ],
    violations: [{
      logicalId: 'Database',
      resourceType: 'AWS::RDS::DBInstance',
      action: 'Modify',
      replacement: 'False',
      rule: 'rule #1 (needs approval)',
      properties: ['DBInstanceClass: db.t3.micro -> db.r6g.large', 'MasterUserPassword: (masked) -> (masked)'],
    }],
  },
  approval: { approved: true, by: 'ana' },
  operation: { outcome: 'SUCCEEDED' },
};

/** A world whose CodePipeline gives the job an output artifact; the S3 client made from the credentials is recorded. */
function reportWorld(output: typeof OUTPUT | null = OUTPUT) {
  const world = new TriggerWorld();
  world.codepipeline.issue({ id: JOB_ID, continuationToken: TOKEN, ...(output ? { output } : {}) });
  const credentials: unknown[] = [];
  const run = () => runTrigger(jobEvent({ continuationToken: TOKEN }), {
    ...world.deps,
    s3WithCredentials: (c) => { credentials.push(c); return world.s3.client; },
  });
  const files = () => {
    const zip = world.s3.objects.get(`${OUTPUT.bucket}/${OUTPUT.key}`);
    if (!zip) return undefined;
    const entries = unzipSync(zip);
    return { json: JSON.parse(strFromU8(entries['report.json'])) as ChangeReport, markdown: strFromU8(entries['report.md']) };
  };
  return { world, credentials, run, files };
}

test('GIVEN an approved update WHEN the execution succeeded THEN the report lists every change and what the refused one does, and the summary says where it is', async () => {
  const { world, credentials, run, files } = reportWorld();
  world.sfn.add({ name: EXECUTION_NAME, status: 'SUCCEEDED', output: JSON.stringify(OUTPUT_OF_AN_APPROVED_UPDATE) });

  expect(await run()).toBe('SUCCEEDED');

  // Written with CodePipeline's credentials for the job, where CodePipeline wants the artifact.
  expect(credentials).toEqual([ARTIFACT_CREDENTIALS]);
  const report = files()!;
  expect(report.json).toMatchObject({
    version: 1,
    stackName: 'prod-sample-app',
    status: 'SUCCEEDED',
    outcome: 'UPDATED',
    verdict: 'APPROVED',
    approvedBy: 'ana',
    changeCount: 2,
    changes: [{ logicalId: 'Database', verdict: 'REQUIRE_APPROVAL' }, { logicalId: 'Fn', verdict: 'ALLOW', rule: 'rule #2' }],
    refused: [{ logicalId: 'Database', properties: ['DBInstanceClass: db.t3.micro -> db.r6g.large', 'MasterUserPassword: (masked) -> (masked)'] }],
  });
  expect(report.markdown).toContain('# Change report: prod-sample-app');
  expect(report.markdown).toContain('- Verdict: APPROVED, approved by ana');
  expect(report.markdown).toMatch(/- \*\*Database\*\* \(AWS::RDS::DBInstance\): Modify, replacement False, by rule #1 \(needs approval\)\n {2}- `DBInstanceClass: db\.t3\.micro -> db\.r6g\.large`/);
  expect(report.markdown).toContain('| ALLOW | Fn | AWS::Lambda::Function | Modify | False | rule #2 |');
  expect(world.codepipeline.lastSuccess.executionDetails!.summary).toContain('Change report: output artifact ChangeReport (report.md, report.json).');
  // The credentials are never logged.
  expect(world.logs.join('\n')).not.toContain(ARTIFACT_CREDENTIALS.secretAccessKey);
});

test('GIVEN a refused change set WHEN the execution failed THEN the report holds the error and the cause naming each refused change', async () => {
  const { world, run, files } = reportWorld();
  const cause = 'Change set sfn-deploy-a1b2 for stack prod-sample-app is refused (deleted, never executed): its one change is not allowed: ' +
    'Table (AWS::DynamoDB::Table): Remove refused by no-deletion';
  world.sfn.add({ name: EXECUTION_NAME, status: 'FAILED', error: 'UnsafeChangeSet', cause });

  expect(await run()).toBe('FAILED');

  expect(files()!.json).toMatchObject({ version: 1, status: 'FAILED', error: 'UnsafeChangeSet', cause });
  expect(files()!.markdown).toContain(`## Cause\n\n\`\`\`\n${cause}\n\`\`\``);
  expect(world.codepipeline.failures[0].failureDetails!.message).toContain('Change report: output artifact ChangeReport');
});

/** The Markdown that is not code: fenced blocks and code spans removed, as CommonMark reads them. */
function outsideCode(markdown: string): string {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const run = /^(`{3,})\s*$/.exec(line)?.[1];
    if (fence) {
      if (run && run.length >= fence.length) fence = undefined;
      continue;
    }
    if (run) {
      fence = run;
      continue;
    }
    let text = '';
    for (let i = 0; i < line.length;) {
      const open = /^`+/.exec(line.slice(i))?.[0];
      if (!open) {
        text += line[i++];
        continue;
      }
      const close = new RegExp(`(?<!\`)${open}(?!\`)`).exec(line.slice(i + open.length));
      if (!close) {
        text += open;
        i += open.length;
        continue;
      }
      i += open.length + close.index + open.length;
    }
    lines.push(text);
  }
  return lines.join('\n');
}

test('GIVEN template text with Markdown and HTML in it THEN report.md shows it as text: no link, image or HTML is made of it', () => {
  const injected = '[click](https://evil.example/x) ![img](https://evil.example/i.png) <img src=x onerror=alert(1)> <script>alert(1)</script> www.evil.example **bold** `tick` ``` fence';
  const report = changeReport('FAILED', {
    deployment: { stackName: 'prod-sample-app', changeSetName: 'sfn-deploy-a1b2' } as any,
    inspection: {
      verdict: 'DENY',
      changeCount: 1,
      violationCount: 1,
      counts: { Modify: 1 },
      reason: '',
      nestedChangeSets: 0,
      changeSetId: 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/sfn-deploy-a1b2/1',
      digest: '0'.repeat(64),
      changes: [{ logicalId: 'Queue', resourceType: `Custom::${injected}`, action: 'Modify', replacement: 'True', verdict: 'DENY', rule: `the policy function decides: ${injected}` }],
      violations: [{
        logicalId: 'Queue',
        resourceType: `Custom::${injected}`,
        action: 'Modify',
        replacement: 'True',
        rule: `the policy function decides: ${injected}`,
        properties: [`Tags/0/Value: old -> ${injected}`],
      }],
    },
    approval: { approved: true, by: injected },
  }, { error: 'UnsafeChangeSet', cause: `refused:\n${injected}\n\`\`\`\n# heading\n${injected}` });
  const markdown = reportMarkdown({ ...report, approvedBy: injected, verdict: 'APPROVED' });
  const outside = outsideCode(markdown);
  expect(outside).not.toMatch(/<|>|\]\(|!\[|https?:|www\.|\*\*bold/);
  // The text is still there, as code.
  expect(markdown).toContain(`\`Tags/0/Value: old -> ${injected.replace(/``` fence/, '')}`);
  expect(outside.split('\n').filter((l) => l.startsWith('#'))).toEqual(['# Change report: prod-sample-app', '## Cause', '## Not allowed', '## Every change']);
});

test('GIVEN no output artifact THEN nothing is written and the summary says nothing of a report', async () => {
  const { world, credentials, run } = reportWorld(null);
  world.sfn.add({ name: EXECUTION_NAME, status: 'SUCCEEDED', output: JSON.stringify(OUTPUT_OF_AN_APPROVED_UPDATE) });
  expect(await run()).toBe('SUCCEEDED');
  expect(credentials).toEqual([]);
  expect(world.s3.objects.size).toBe(0);
  expect(world.codepipeline.lastSuccess.executionDetails!.summary).not.toContain('report');
});

test('GIVEN the report cannot be written THEN the deployment\'s result stands and the summary says so', async () => {
  const { world, run } = reportWorld();
  world.sfn.add({ name: EXECUTION_NAME, status: 'SUCCEEDED', output: JSON.stringify(OUTPUT_OF_AN_APPROVED_UPDATE) });
  const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
  world.s3.mock.on(PutObjectCommand).rejects(denied);
  expect(await run()).toBe('SUCCEEDED');
  expect(world.codepipeline.lastSuccess.executionDetails!.summary).toContain('The change report could not be written (AccessDenied).');
});

test('GIVEN reportArtifact WHEN the action is synthesized THEN the artifact is its output and the workflow is told to keep every change', () => {
  const reportArtifact = new codepipeline.Artifact('ChangeReport');
  const { template } = singleAction({ reportArtifact });
  expect(pipelineAction(template(), 'Deploy').OutputArtifacts).toEqual([{ Name: 'ChangeReport' }]);
  expect(userParametersOf(template(), 'Deploy').config).toMatchObject({ report: true });
  expect(pipelineAction(singleAction().template(), 'Deploy').OutputArtifacts).toBeUndefined();
});

test('GIVEN a deployment with a report THEN the inspection keeps every change\'s verdict, up to the limit', () => {
  const located = Array.from({ length: LIMITS.changesInReport + 5 }, (_, i) => ({
    change: { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: `Q${i}`, ResourceType: 'AWS::SQS::Queue' } }, path: [], context: {},
  }));
  const verdicts = located.map(({ change }) => evaluateChange({ type: 'denyDestructive' }, change));
  const withReport = summarise(deployment({ report: true }), located, verdicts, 0);
  expect(withReport.changes).toHaveLength(LIMITS.changesInReport);
  expect(withReport.changes![0]).toEqual({ logicalId: 'Q0', resourceType: 'AWS::SQS::Queue', action: 'Add', verdict: 'ALLOW', rule: 'add-is-safe' });
  expect(withReport.changeCount).toBe(LIMITS.changesInReport + 5);
  expect(summarise(deployment(), located, verdicts, 0).changes).toBeUndefined();
});

describe('when CodePipeline\'s description of the job names no output artifact', () => {
  /** The event names the output artifact (as Lambda invoke events do); GetJobDetails' answer does not. */
  function eventWorld(bucket: string) {
    const world = new TriggerWorld();
    world.codepipeline.issue({ id: JOB_ID, continuationToken: TOKEN, artifact: ARTIFACT, artifactCredentials: undefined });
    const event = jobEvent({ continuationToken: TOKEN });
    (event as any)['CodePipeline.job'].data.outputArtifacts = [{ name: 'ChangeReport', location: { type: 'S3', s3Location: { bucketName: bucket, objectKey: OUTPUT.key } } }];
    const credentials: unknown[] = [];
    const run = () => runTrigger(event, { ...world.deps, s3WithCredentials: (c) => { credentials.push(c); return world.s3.client; } });
    return { world, credentials, run };
  }

  test('GIVEN the event names one in the job\'s own artifact bucket THEN the report is written there with the event\'s credentials', async () => {
    const { world, credentials, run } = eventWorld(ARTIFACT.bucket);
    world.sfn.add({ name: EXECUTION_NAME, status: 'SUCCEEDED', output: JSON.stringify(OUTPUT_OF_AN_APPROVED_UPDATE) });
    expect(await run()).toBe('SUCCEEDED');
    expect(credentials).toEqual([ARTIFACT_CREDENTIALS]);
    expect(world.s3.objects.has(`${ARTIFACT.bucket}/${OUTPUT.key}`)).toBe(true);
  });

  test('GIVEN the event names another bucket THEN nothing is written there: an event is not trusted', async () => {
    const { world, credentials, run } = eventWorld('attacker-bucket');
    world.sfn.add({ name: EXECUTION_NAME, status: 'SUCCEEDED', output: JSON.stringify(OUTPUT_OF_AN_APPROVED_UPDATE) });
    expect(await run()).toBe('SUCCEEDED');
    expect(credentials).toEqual([]);
    expect([...world.s3.objects.keys()].filter((k) => k.startsWith('attacker-bucket/'))).toEqual([]);
  });
});

test.each([
  ['an inspection without its lists', { deployment: { stackName: 'prod-sample-app' }, inspection: { counts: { Add: 1 } }, operation: { outcome: 'SUCCEEDED' } }],
  ['no inspection at all (a new stack)', { deployment: { stackName: 'prod-sample-app' }, stack: { next: 'CREATE' }, operation: { outcome: 'SUCCEEDED' } }],
  ['an output that is not an object', 'not json'],
])('GIVEN %s THEN the report is still written, with what there is', async (_what, output) => {
  const { world, run, files } = reportWorld();
  world.sfn.add({ name: EXECUTION_NAME, status: 'SUCCEEDED', output: typeof output === 'string' ? output : JSON.stringify(output) });
  expect(await run()).toBe('SUCCEEDED');
  expect(files()!.json).toMatchObject({ version: 1, status: 'SUCCEEDED' });
});
