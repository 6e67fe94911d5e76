/**
 * The create path, REVIEW_IN_PROGRESS stacks and large templates, run through the
 * synthesized state machine with the real task handler against a stateful fake CloudFormation.
 */
import { resourceChange } from '../fakes';
import {
  ARTIFACT, S, STACK_NAME, TEMPLATE_PATH, causeMessage, createWorld, deploy, deploymentFor, expectStackOperationFailed, largeTemplate,
  smallTemplate, synthesizeWorkflow,
} from './harness';
import { byteLength } from '../../src/workflow/artifact';

describe('a stack that does not exist yet', () => {
  test('GIVEN DescribeStacks says the stack does not exist WHEN deployed THEN CreateStack runs and the execution succeeds once CREATE_COMPLETE', async () => {
    // GIVEN
    const template = smallTemplate();
    const world = createWorld({ files: { [TEMPLATE_PATH]: template } });
    world.cfn.onCreateStack = { inProgressPolls: 2 };
    const deployment = deploymentFor();

    // WHEN
    const run = await deploy(world, deployment);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    const creates = world.cfn.callsOf('CreateStack');
    expect(creates).toHaveLength(1);
    expect(creates[0].input).toMatchObject({
      StackName: STACK_NAME,
      TemplateBody: template,
      RoleARN: JSON.parse(synthesizeWorkflow().userParameters).roleArn,
      ClientRequestToken: deployment.changeSetName,
    });
    expect(world.cfn.callsOf('CreateChangeSet')).toHaveLength(0);
    expect(run.path.slice(0, 7))
      .toEqual([S.confirmJob, S.isUnit, S.readTemplate, S.checkStack, S.doesStackExist, S.createStack, S.waitStackCreation]);
    expect(run.visits(S.getStackCreationStatus)).toBe(3);
    expect(run.outputsOf(S.getStackCreationStatus).map((o) => o.operation.status))
      .toEqual(['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(run.path.slice(-3)).toEqual([S.getStackCreationStatus, S.stackCreated, S.deploymentSucceeded]);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('CREATE_COMPLETE');
  });

  test('GIVEN a creation that fails on a resource WHEN deployed THEN the execution fails after ROLLBACK_COMPLETE with that resource\'s reason', async () => {
    // GIVEN
    const world = createWorld();
    const reason = 'Resource handler returned message: "Queue name already exists" (HandlerErrorCode: AlreadyExists)';
    world.cfn.onCreateStack = { inProgressPolls: 1, failure: { logicalId: 'Queue', resourceType: 'AWS::SQS::Queue', reason } };

    // WHEN
    const run = await deploy(world);

    // THEN
    expectStackOperationFailed(run, 'StackCreationFailed', 'ROLLBACK_COMPLETE, not CREATE_COMPLETE', `Queue (AWS::SQS::Queue) CREATE_FAILED: ${reason}`);
    // It waited for the rollback to finish before failing.
    expect(run.outputsOf(S.getStackCreationStatus).map((o) => o.operation.status))
      .toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    expect(run.path.slice(-2)).toEqual([S.stackCreated, S.stackCreationFailed]);
  });
});

describe('a stack in REVIEW_IN_PROGRESS (created by a change set that was never executed)', () => {
  test('GIVEN a REVIEW_IN_PROGRESS stack WHEN deployed THEN a CREATE change set is inspected and executed, and the execution succeeds on CREATE_COMPLETE', async () => {
    // GIVEN
    const world = createWorld();
    world.cfn.putStack(STACK_NAME, 'REVIEW_IN_PROGRESS');
    world.cfn.onCreateChangeSet = {
      changes: [resourceChange('Add', 'Queue', 'AWS::SQS::Queue'), resourceChange('Add', 'Topic', 'AWS::SNS::Topic')],
    };
    world.cfn.onExecuteChangeSet = { inProgressPolls: 2 };

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(world.cfn.callsOf('CreateStack')).toHaveLength(0);
    const changeSets = world.cfn.callsOf('CreateChangeSet');
    expect(changeSets).toHaveLength(1);
    expect(changeSets[0]).toMatchObject({ input: { ChangeSetType: 'CREATE', StackName: STACK_NAME } });
    expect(changeSets[0].error).toBeUndefined();
    expect(world.cfn.callsOf('ExecuteChangeSet')).toHaveLength(1);
    expect(run.path).toContain(S.inspectChangeSet);
    expect(run.outputsOf(S.getStackUpdateStatus).map((o) => o.operation.status))
      .toEqual(['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(run.path[run.path.length - 1]).toBe(S.deploymentSucceeded);
    expect(world.cfn.stack(STACK_NAME)?.status).toBe('CREATE_COMPLETE');
  });
});

describe('a template over CloudFormation\'s 51,200-byte TemplateBody limit', () => {
  const template = largeTemplate();

  test('GIVEN the large template THEN it is over the limit (precondition)', () => {
    expect(byteLength(template)).toBeGreaterThan(51_200);
  });

  test.each([
    ['a new stack', 'CreateStack' as const, undefined],
    ['an existing stack', 'CreateChangeSet' as const, 'UPDATE_COMPLETE'],
  ])('GIVEN %s and a large template WHEN deployed THEN the template is staged in the artifact bucket and passed as TemplateURL',
    async (_what, operation, existingStatus) => {
      // GIVEN
      const world = createWorld({ files: { [TEMPLATE_PATH]: template } });
      if (existingStatus) world.cfn.putStack(STACK_NAME, existingStatus);
      world.cfn.onCreateChangeSet = { changes: [resourceChange('Add', 'Topic399', 'AWS::SNS::Topic')] };
      const deployment = deploymentFor();

      // WHEN
      const run = await deploy(world, deployment);

      // THEN
      expect(run.status).toBe('SUCCEEDED');
      const key = `sfn-deploy-action-staging/${STACK_NAME}/${deployment.changeSetName}.template`;
      expect(world.s3.text(ARTIFACT.bucket, key)).toBe(template);
      const [call] = world.cfn.callsOf(operation);
      expect(call.input.TemplateURL).toBe(`https://s3.eu-west-1.amazonaws.com/${ARTIFACT.bucket}/${key}`);
      expect(call.input.TemplateBody).toBeUndefined();
      // CloudFormation read the template from S3: the stack now has it.
      expect(world.cfn.stack(STACK_NAME)?.template).toBe(template);
    });
});

describe('an artifact without the template', () => {
  test('GIVEN an input artifact that lacks templatePath WHEN deployed THEN the execution fails with ConfigurationError before any CloudFormation call', async () => {
    // GIVEN
    const world = createWorld({ files: { 'infra/other.json': smallTemplate(), 'README.md': '# app' } });

    // WHEN
    const run = await deploy(world);

    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ConfigurationError');
    expect(causeMessage(run.cause)).toBe(`${TEMPLATE_PATH} is not in the input artifact (it holds: infra/other.json, README.md)`);
    expect(run.retriesOf(S.readTemplate)).toBe(0);
    expect(run.path).toEqual([S.confirmJob, S.isUnit, S.readTemplate, S.deploymentErrored]);
    expect(world.cfn.writes()).toEqual([]);
    expect(world.cfn.calls).toEqual([]);
  });
});
