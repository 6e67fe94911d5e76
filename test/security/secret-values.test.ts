/**
 * Nothing secret is shown: a change set whose property values hold the corpus of secret shapes
 * (./secret-shapes.ts) is judged by the workflow and by `cdk-sfn-deploy check`, and none of the secrets,
 * neither whole nor in part, reaches the approval message, the failure message, the pipeline summary, the
 * change report (report.json and report.md), a log line or the CLI's output. Ordinary values are still shown.
 */
import * as fs from 'fs';
import { format } from 'node:util';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient, DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import type { DescribeChangeSetCommandOutput } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ORDINARY_VALUES, SECRET_SHAPES } from './secret-shapes';
import { SafetyPolicy } from '../../src';
import { main } from '../../src/cli/main';
import { readAnswer } from '../../src/policy/function-answer';
import { LIMITS } from '../../src/shared/contract';
import type { Deployment, InspectionResult, WorkflowState } from '../../src/shared/contract';
import { changeReport, reportMarkdown } from '../../src/trigger/change-report';
import { failureMessage, successSummary } from '../../src/trigger/report';
import { approvalMessage } from '../../src/workflow/approval-message';
import { runTask } from '../../src/workflow/tasks';
import { deployment } from '../handlers/fixtures';

const detail = (Path: string, AfterValue: string) => ({
  Target: { Attribute: 'Properties', Path: `/Properties/${Path}`, BeforeValue: 'old', AfterValue, AttributeChangeType: 'Modify', RequiresRecreation: 'Always' },
  Evaluation: 'Static',
  ChangeSource: 'DirectModification',
});
const resourceChange = (i: number, ResourceType: string, Path: string, value: string) => ({
  Type: 'Resource',
  ResourceChange: {
    Action: 'Modify', LogicalResourceId: `Resource${i}`, ResourceType, Replacement: 'True', Scope: ['Properties'], Details: [detail(Path, value)],
  },
});
/** The change set the workflow polled to CREATE_COMPLETE, and reads by its id. */
const CHANGE_SET_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:changeSet/sfn-deploy-job1/1';
const PAGE = {
  ChangeSetName: 'sfn-deploy-job1',
  ChangeSetId: CHANGE_SET_ID,
  StackName: 'prod-sample-app',
  Status: 'CREATE_COMPLETE',
  Changes: [
    ...SECRET_SHAPES.map((s, i) => resourceChange(i, s.resourceType, s.path, s.value)),
    ...ORDINARY_VALUES.map((o, i) => resourceChange(100 + i, o.resourceType, o.path, o.value)),
  ],
};

/** The corpus's secrets found in a text: whole, or any 12 characters of one in a row. */
function leaked(text: string): string[] {
  return SECRET_SHAPES.filter(({ secret }) => {
    if (text.includes(secret)) return true;
    for (let i = 0; i + 12 <= secret.length; i++) if (text.includes(secret.slice(i, i + 12))) return true;
    return false;
  }).map((s) => s.what);
}

const onUnsafe: Deployment['onUnsafe'] = { type: 'requireApproval', topicArn: 'arn:aws:sns:eu-west-1:111111111111:approvals', timeoutSeconds: 3600 };
const judged = deployment({ onUnsafe, report: true, policy: { type: 'denyDestructive', destructiveVerdict: 'REQUIRE_APPROVAL' } });

let logs: string[];
beforeEach(() => {
  logs = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => { logs.push(format(...args)); });
  }
});
afterEach(() => {
  jest.restoreAllMocks();
  mockClient(CloudFormationClient).restore();
});

async function inspect(): Promise<InspectionResult> {
  mockClient(CloudFormationClient).on(DescribeChangeSetCommand).resolves(PAGE as unknown as DescribeChangeSetCommandOutput);
  const changeSet = { name: 'sfn-deploy-job1', id: CHANGE_SET_ID, type: 'UPDATE', waitSeconds: 5 };
  return await runTask({ task: 'inspectChangeSet', state: { deployment: judged, changeSet } as WorkflowState }, {
    cloudformation: new CloudFormationClient({}), s3: new S3Client({}), region: 'eu-west-1',
  }) as InspectionResult;
}

test(`GIVEN a change set with ${SECRET_SHAPES.length} secret shapes in its values WHEN the workflow judges it THEN no message, report or log line shows any of them`, async () => {
  expect(SECRET_SHAPES.length).toBeGreaterThanOrEqual(30);
  // The state keeps the first LIMITS.violationsInState violations with their property lines: the corpus fits in them.
  expect(SECRET_SHAPES.length + ORDINARY_VALUES.length).toBeLessThanOrEqual(LIMITS.violationsInState);
  const inspection = await inspect();
  expect(inspection.verdict).toBe('REQUIRE_APPROVAL');
  expect(inspection.violationCount).toBe(SECRET_SHAPES.length + ORDINARY_VALUES.length);

  const approval = approvalMessage(judged, inspection, 'token-1');
  const summary = successSummary({
    deployment: judged,
    inspection,
    approval: { approved: true, by: 'ana' },
    operation: { expectedStatus: 'UPDATE_COMPLETE', outcome: 'SUCCEEDED', waitSeconds: 5 },
  }, 'https://console');
  // The task's error, as the execution's cause: the Lambda runtime's JSON with the inspection's reason.
  const cause = JSON.stringify({ errorType: 'UnsafeChangeSet', errorMessage: inspection.reason });
  const failure = failureMessage('FAILED', 'UnsafeChangeSet', cause, 'https://console');
  const succeeded = changeReport('SUCCEEDED', { deployment: judged, inspection, approval: { approved: true, by: 'ana' } });
  const failed = changeReport('FAILED', {}, { error: 'UnsafeChangeSet', cause });
  const outputs = {
    'state': JSON.stringify(inspection),
    approval,
    summary,
    failure,
    'report.json': JSON.stringify([succeeded, failed]),
    'report.md': reportMarkdown(succeeded) + reportMarkdown(failed),
    'logs': logs.join('\n'),
  };
  for (const [where, text] of Object.entries(outputs)) expect({ where, leaked: leaked(text) }).toEqual({ where, leaked: [] });
  // What is shown still says what changes, and shows ordinary values whole.
  const report = reportMarkdown(succeeded);
  for (const { path: p, value } of ORDINARY_VALUES) expect(report).toContain(`${p}: old -> ${value.slice(0, 50)}`);
  expect(approval).toContain('Environment/Variables/STRIPE_KEY: (masked) -> (masked)');
});

test('GIVEN CloudFormation or a policy function quotes secrets in their words THEN the failure message, the report and the reasons mask them', () => {
  const quoted = SECRET_SHAPES.map((s) => `Resource handler returned message: "Invalid value ${s.value}"`).join('; ');
  const cause = JSON.stringify({ errorType: 'StackUpdateFailed', errorMessage: quoted });
  const report = changeReport('FAILED', {}, { error: 'StackUpdateFailed', cause });
  const reasons = SECRET_SHAPES.map((s) => readAnswer(JSON.stringify({ verdict: 'DENY', reasons: [{ logicalId: 'R', reason: `refused: ${s.value}` }] })).reasons![0].reason);
  // In words, a secret is known by its shape, its entropy or a name written before it: no property says what it is.
  const byShape = SECRET_SHAPES.filter((s) => s.by === 'shape' || s.by === 'entropy' || s.by === 'named');
  const leakedByShape = (text: string) => leaked(text).filter((what) => byShape.some((s) => s.what === what));
  expect(leakedByShape(failureMessage('FAILED', 'StackUpdateFailed', cause, 'https://console'))).toEqual([]);
  expect(leakedByShape(JSON.stringify(report) + reportMarkdown(report))).toEqual([]);
  expect(leakedByShape(reasons.join('\n'))).toEqual([]);
});

describe('the CLI and SafetyPolicy.evaluateChangeSet', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-'));
  const file = path.join(dir, 'change-set.json');
  fs.writeFileSync(file, JSON.stringify(PAGE));

  test('GIVEN the corpus WHEN cdk-sfn-deploy check runs THEN its output shows none of the secrets and the ordinary values whole', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['check', file], (s) => out.push(s), (s) => err.push(s));
    expect(code).toBe(1);
    const text = [...out, ...err, ...logs].join('\n');
    expect(leaked(text)).toEqual([]);
    for (const { path: p, value } of ORDINARY_VALUES) expect(text).toContain(`${p}: old -> ${value.slice(0, 50)}`);
  });

  test('GIVEN a change set file whose names and values hold terminal escape sequences WHEN checked THEN none reaches the terminal', async () => {
    const escapes = path.join(dir, 'escapes.json');
    fs.writeFileSync(escapes, JSON.stringify({
      ...PAGE,
      Changes: [{
        Type: 'Resource',
        ResourceChange: {
          Action: 'Remove',
          LogicalResourceId: 'Table\u001b[2J\u001b]0;pwned\u0007',
          ResourceType: 'AWS::DynamoDB::Table\u202e',
          PolicyAction: 'Delete',
          Details: [detail('Tags/0/Value', 'red\u001b[31m')],
        },
      }],
    }));
    const out: string[] = [];
    expect(await main(['check', escapes], (s) => out.push(s), (s) => out.push(s))).toBe(1);
    expect(out.join('\n')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
    expect(out.join('\n')).toContain('Table[2J]0;pwned');
  });

  test('GIVEN the corpus WHEN SafetyPolicy.evaluateChangeSet runs THEN its evaluation shows none of the secrets', () => {
    const evaluation = SafetyPolicy.denyDestructiveChanges().evaluateChangeSet([PAGE]);
    expect(evaluation.verdict).toBe('DENY');
    expect(leaked(JSON.stringify(evaluation))).toEqual([]);
  });
});
