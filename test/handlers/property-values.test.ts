/**
 * The workflow reads change sets with their property values, and the people who read a verdict (the failure
 * message, the approval message, the pipeline summary) see what each refused change does to its properties,
 * before -> after, with secrets masked.
 */
import { CloudFormationClient, DescribeChangeSetCommand } from '@aws-sdk/client-cloudformation';
import type { DescribeChangeSetCommandOutput } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { deployment } from './fixtures';
import type { Deployment, InspectionResult, WorkflowState } from '../../src/shared/contract';
import { successSummary } from '../../src/trigger/report';
import { approvalMessage } from '../../src/workflow/approval-message';
import { runTask } from '../../src/workflow/tasks';

const detail = (Path: string, BeforeValue: string, AfterValue: string) =>
  ({ Target: { Attribute: 'Properties', Path, BeforeValue, AfterValue, AttributeChangeType: 'Modify', RequiresRecreation: 'Never' }, Evaluation: 'Static' });
/** The id of the change set the workflow polled to CREATE_COMPLETE, and reads by. */
const ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/sfn-deploy-job1/1';
const POLLED = { name: 'sfn-deploy-job1', id: ID, type: 'UPDATE', waitSeconds: 5 };
const PAGE = {
  Status: 'CREATE_COMPLETE',
  ChangeSetId: ID,
  Changes: [{
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: 'Database',
      ResourceType: 'AWS::RDS::DBInstance',
      Replacement: 'False',
      Scope: ['Properties'],
      Details: [
        detail('/Properties/DBInstanceClass', 'db.t3.micro', 'db.r6g.large'),
        detail('/Properties/MasterUserPassword', 'hunter2', 'swordfish'),
      ],
    },
  }],
} as unknown as DescribeChangeSetCommandOutput;

async function inspect(onUnsafe: Deployment['onUnsafe']): Promise<{ inspection: InspectionResult; cfn: ReturnType<typeof mockClient> }> {
  const cfn = mockClient(CloudFormationClient);
  cfn.on(DescribeChangeSetCommand).resolves(PAGE);
  const state = {
    deployment: deployment({
      onUnsafe,
      policy: { type: 'rules', rules: [{ verdict: 'REQUIRE_APPROVAL', properties: ['DBInstanceClass'] }], defaultVerdict: 'ALLOW' },
    }),
    changeSet: POLLED,
  } as WorkflowState;
  const inspection = await runTask({ task: 'inspectChangeSet', state }, {
    cloudformation: new CloudFormationClient({}), s3: new S3Client({}), region: 'eu-west-1',
  }) as InspectionResult;
  return { inspection, cfn };
}

afterEach(() => mockClient(CloudFormationClient).restore());

test('GIVEN a change set THEN it is read with its property values', async () => {
  const { cfn } = await inspect({ type: 'fail' });
  expect(cfn).toHaveReceivedCommandWith(DescribeChangeSetCommand, { IncludePropertyValues: true });
});

test('GIVEN a refused change THEN the failure message says what it changes, before -> after, and never the password', async () => {
  const { inspection } = await inspect({ type: 'fail' });
  expect(inspection.verdict).toBe('DENY');
  expect(inspection.violations[0].properties).toEqual(['DBInstanceClass: db.t3.micro -> db.r6g.large', 'MasterUserPassword: (masked) -> (masked)']);
  expect(inspection.reason).toContain('[DBInstanceClass: db.t3.micro -> db.r6g.large; MasterUserPassword: (masked) -> (masked)]');
  expect(JSON.stringify(inspection)).not.toMatch(/hunter2|swordfish/);
});

test('GIVEN a change that needs approval THEN the approvers and the pipeline summary see its property changes, secrets masked', async () => {
  const onUnsafe = { type: 'requireApproval' as const, topicArn: 'arn:aws:sns:eu-west-1:111111111111:approvals', timeoutSeconds: 3600 };
  const { inspection } = await inspect(onUnsafe);
  expect(inspection.verdict).toBe('REQUIRE_APPROVAL');
  const message = approvalMessage(deployment({ onUnsafe }), inspection, 'arn:aws:states:eu-west-1:123456789012:execution:DeployWorkflow:sfn-deploy-1');
  expect(message).toMatch(/- Database \(AWS::RDS::DBInstance\): Modify, .*\n\s+DBInstanceClass: db\.t3\.micro -> db\.r6g\.large\n\s+MasterUserPassword: \(masked\) -> \(masked\)/);
  const summary = successSummary({ deployment: deployment(), inspection, approval: { approved: true, by: 'ana' }, operation: { expectedStatus: 'UPDATE_COMPLETE', outcome: 'SUCCEEDED', waitSeconds: 5 } }, 'https://console');
  expect(summary).toContain('Database (Modify, rule #1 (needs approval): DBInstanceClass: db.t3.micro -> db.r6g.large)');
  expect(message + summary).not.toMatch(/hunter2|swordfish/);
});

describe('a description with values that CloudFormation says is incomplete', () => {
  const WARN = '[WARN] --include-property-values option can return incomplete ChangeSet data because: Logical Id: Config, failed property validation';
  const remove = { Type: 'Resource', ResourceChange: { Action: 'Remove', LogicalResourceId: 'Table', ResourceType: 'AWS::DynamoDB::Table', PolicyAction: 'Delete' } };
  const state = { deployment: deployment(), changeSet: POLLED } as WorkflowState;
  const deps = () => ({ cloudformation: new CloudFormationClient({}), s3: new S3Client({}), region: 'eu-west-1' });

  test('GIVEN values left changes out THEN the change set is read again without values and judged on every change', async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeChangeSetCommand, { IncludePropertyValues: true }).resolves({ Status: 'CREATE_COMPLETE', ChangeSetId: ID, StatusReason: WARN, Changes: [] });
    cfn.on(DescribeChangeSetCommand, { IncludePropertyValues: false }).resolves({ Status: 'CREATE_COMPLETE', ChangeSetId: ID, Changes: [remove] } as DescribeChangeSetCommandOutput);
    const inspection = await runTask({ task: 'inspectChangeSet', state }, deps()) as InspectionResult;
    expect(cfn.commandCalls(DescribeChangeSetCommand).map((c) => c.args[0].input.IncludePropertyValues)).toEqual([true, false]);
    expect(inspection).toMatchObject({ verdict: 'DENY', violations: [{ logicalId: 'Table', rule: 'no-deletion' }] });
  });

  test('GIVEN even the description without values says so THEN the deployment fails, never allowed', async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeChangeSetCommand).resolves({ Status: 'CREATE_COMPLETE', ChangeSetId: ID, StatusReason: WARN, Changes: [] });
    await expect(runTask({ task: 'inspectChangeSet', state }, deps())).rejects.toMatchObject({
      name: 'IncompleteChangeSet', message: expect.stringContaining('was described incompletely (CloudFormation left changes out)'),
    });
  });
});
