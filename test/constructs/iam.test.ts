import { Template, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { basicProps, logicalIdOf, newPipeline, newStack, SAMPLE_ROLE_ARN, singleAction, statementsOf } from './helpers';
import type { Statement } from './helpers';
import { StepFunctionsDeployAction } from '../../src';
import { STAGING_PREFIX } from '../../src/shared/contract';

function cloudFormationStatements(statements: Statement[]): Statement[] {
  return statements.filter((s) => s.Action.some((a) => a.startsWith('cloudformation:')));
}

function joinEndingWith(suffix: string) {
  return { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`${escapeRegExp(suffix)}$`)])] };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('least privilege', () => {
  describe('the task function', () => {
    const { action, pipeline, template } = singleAction({ environmentName: 'prod' });
    const t = template();
    const taskRoleId = logicalIdOf(action.taskFunction.role!);
    const statements = statementsOf(t, taskRoleId);

    test('may act on the deployed stack (prefixed with the environment name) and on its own change sets only', () => {
      t.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: taskRoleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Sid: 'DeployTargetStacks',
            Effect: 'Allow',
            Action: [
              'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:DescribeChangeSet',
              'cloudformation:ExecuteChangeSet', 'cloudformation:DeleteChangeSet',
            ],
            // CloudFormation authorizes change set actions against the stack: no changeSet resource, a name condition.
            Resource: [joinEndingWith(':cloudformation:eu-west-1:111111111111:stack/prod-app/*')],
            Condition: {
              StringLikeIfExists: {
                'cloudformation:ChangeSetName': ['sfn-deploy-*', joinEndingWith(':cloudformation:eu-west-1:111111111111:changeSet/sfn-deploy-*/*')],
              },
            },
          })]),
        },
      });
    });

    test('may create the stack and its change sets only with the action\'s deployment role', () => {
      t.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: taskRoleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Effect: 'Allow',
            Action: ['cloudformation:CreateStack', 'cloudformation:CreateChangeSet'],
            Resource: [joinEndingWith(':cloudformation:eu-west-1:111111111111:stack/prod-app/*')],
            Condition: { ArnEquals: { 'cloudformation:RoleArn': { 'Fn::GetAtt': [logicalIdOf(action.deploymentRole), 'Arn'] } } },
          })]),
        },
      });
      const creating = statements.filter((s) => s.Action.some((a) => a === 'cloudformation:CreateStack' || a === 'cloudformation:CreateChangeSet'));
      expect(creating).toHaveLength(1);
    });

    test('holds no CloudFormation right on "*" and no CloudFormation right it does not use', () => {
      const cfn = cloudFormationStatements(statements);
      expect(cfn.length).toBeGreaterThan(0);
      for (const s of cfn) {
        expect(s.Resource).not.toContain('*');
        expect(s.Action).not.toContain('cloudformation:*');
        expect(s.Action).not.toContain('cloudformation:DeleteStack');
        expect(s.Action).not.toContain('cloudformation:UpdateStack');
      }
      expect(statements.filter((s) => s.Action.some((a) => a === '*' || a.startsWith('iam:') && a !== 'iam:PassRole'))).toEqual([]);
    });

    test('may pass the deployment role, and only to CloudFormation', () => {
      const passRole = statements.filter((s) => s.Action.includes('iam:PassRole'));
      expect(passRole).toEqual([{
        Sid: 'PassDeploymentRoles',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [{ 'Fn::GetAtt': [logicalIdOf(action.deploymentRole), 'Arn'] }],
        Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }]);
    });

    test('may read the artifact bucket and write only under the staging prefix', () => {
      const bucketArn = { 'Fn::GetAtt': [logicalIdOf(pipeline.artifactBucket), 'Arn'] };
      const reads = statements.filter((s) => s.Action.some((a) => a.startsWith('s3:')) && !s.Action.includes('s3:PutObject'));
      expect(reads).toEqual([expect.objectContaining({
        Action: ['s3:GetObject'],
        Resource: [{ 'Fn::Join': ['', [bucketArn, '/*']] }],
      })]);
      const writes = statements.filter((s) => s.Action.some((a) => /^s3:(PutObject|DeleteObject)/.test(a)));
      expect(writes.length).toBeGreaterThan(0);
      for (const s of writes) {
        expect(s.Resource).toEqual([{ 'Fn::Join': ['', [bucketArn, `/${STAGING_PREFIX}/*`]] }]);
        expect(s.Action).not.toContain('s3:DeleteObject*');
      }
    });

    test('may use the artifact bucket\'s KMS key (the pipeline\'s default encrypted bucket)', () => {
      const keys = Object.keys(t.findResources('AWS::KMS::Key'));
      expect(keys).toHaveLength(1);
      const kms = statements.filter((s) => s.Action.includes('kms:Decrypt'));
      expect(kms.flatMap((s) => s.Resource)).toContainEqual({ 'Fn::GetAtt': [keys[0], 'Arn'] });
    });
  });

  describe('the trigger function', () => {
    const { action, template } = singleAction();
    const t = template();
    const statements = statementsOf(t, logicalIdOf(action.triggerFunction.role!));
    const stateMachineId = logicalIdOf(action.stateMachine);

    test('may start executions of its own state machine only', () => {
      const start = statements.filter((s) => s.Action.some((a) => a === 'states:StartExecution' || a === 'states:*'));
      expect(start).toEqual([expect.objectContaining({ Action: ['states:StartExecution'], Resource: [{ Ref: stateMachineId }] })]);
    });

    test('may describe that state machine\'s executions only', () => {
      const describe = statements.filter((s) => s.Action.includes('states:DescribeExecution'));
      expect(describe).toHaveLength(1);
      expect(describe[0].Resource).toHaveLength(1);
      const arn = JSON.stringify(describe[0].Resource[0]);
      expect(arn).toContain(':states:eu-west-1:111111111111:execution:');
      expect(arn).toContain(JSON.stringify({ Ref: stateMachineId }));
    });

    test('has no Step Functions right on "*" and no CloudFormation or IAM rights', () => {
      for (const s of statements.filter((x) => x.Action.some((a) => a.startsWith('states:')))) {
        expect(s.Resource).not.toContain('*');
      }
      expect(statements.filter((s) => s.Action.some((a) => /^(cloudformation|iam):/.test(a) || a === '*'))).toEqual([]);
    });

    test('is told its state machine\'s ARN', () => {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ STATE_MACHINE_ARN: { Ref: stateMachineId } }) },
      });
    });
  });

  describe('the deployment role', () => {
    test('is assumable by CloudFormation and has no policy of its own by default', () => {
      const { action, template } = singleAction();
      const t = template();
      const roleId = logicalIdOf(action.deploymentRole);

      t.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Action: 'sts:AssumeRole', Principal: { Service: 'cloudformation.amazonaws.com' } })],
        }),
      });
      expect(statementsOf(t, roleId)).toEqual([]);
      const role = t.findResources('AWS::IAM::Role')[roleId];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
    });

    test('gets full rights with adminPermissions: true', () => {
      const { action, template } = singleAction({ adminPermissions: true });
      expect(statementsOf(template(), logicalIdOf(action.deploymentRole))).toEqual([
        expect.objectContaining({ Effect: 'Allow', Action: ['*'], Resource: ['*'] }),
      ]);
    });

    test('addToDeploymentRolePolicy() adds what the stack needs', () => {
      const { action, template } = singleAction();
      expect(action.addToDeploymentRolePolicy(new iam.PolicyStatement({ actions: ['sqs:*'], resources: ['*'] }))).toBe(true);
      expect(statementsOf(template(), logicalIdOf(action.deploymentRole))).toEqual([
        expect.objectContaining({ Action: ['sqs:*'], Resource: ['*'] }),
      ]);
    });

    test('deploymentRole together with adminPermissions is refused', () => {
      const stack = newStack();
      const { source } = newPipeline(stack);
      const role = iam.Role.fromRoleArn(stack, 'Imported', SAMPLE_ROLE_ARN);
      expect(() => new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, { deploymentRole: role, adminPermissions: true })))
        .toThrow(/adminPermissions applies to the role the action creates; leave it out when you give deploymentRole/);
    });

    test('an imported role is what the task function may pass', () => {
      const stack = newStack();
      const { pipeline, source } = newPipeline(stack);
      const role = iam.Role.fromRoleArn(stack, 'Imported', SAMPLE_ROLE_ARN, { mutable: false });
      const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, { deploymentRole: role }));
      pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
      const t = Template.fromStack(stack);

      const passRole = statementsOf(t, logicalIdOf(action.taskFunction.role!)).filter((s) => s.Action.includes('iam:PassRole'));
      expect(passRole.flatMap((s) => s.Resource)).toEqual([SAMPLE_ROLE_ARN]);
    });
  });

  test('several actions: each stack ARN and deployment role is granted, nothing broader', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const actions = ['web', 'api'].map((name) =>
      new StepFunctionsDeployAction(stack, `Deploy-${name}`, basicProps(source, { actionName: `Deploy-${name}`, stackName: name, environmentName: 'test' })));
    pipeline.addStage({ stageName: 'Deploy', actions });
    const t = Template.fromStack(stack);
    const statements = statementsOf(t, logicalIdOf(actions[0].taskFunction.role!));

    const arnsOf = (sid: string) => cloudFormationStatements(statements).filter((s) => s.Sid === sid)
      .flatMap((s) => s.Resource).map((r) => JSON.stringify(r)).filter((r) => r.includes(':stack/'));
    // Each stack by its exact name for deploying; its nested stacks for reading their change sets only.
    expect(arnsOf('DeployTargetStacks')).toEqual([expect.stringContaining(':stack/test-web/*'), expect.stringContaining(':stack/test-api/*')]);
    expect(arnsOf('ReadNestedChangeSets')).toEqual([expect.stringContaining(':stack/test-web-*/*'), expect.stringContaining(':stack/test-api-*/*')]);
    expect(cloudFormationStatements(statements).find((s) => s.Sid === 'ReadNestedChangeSets')?.Action).toEqual(['cloudformation:DescribeChangeSet']);
    const passed = statements.filter((s) => s.Action.includes('iam:PassRole')).flatMap((s) => s.Resource);
    expect(passed).toEqual(actions.map((a) => ({ 'Fn::GetAtt': [logicalIdOf(a.deploymentRole), 'Arn'] })));
  });
});
