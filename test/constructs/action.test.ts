import { CfnCapabilities, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  basicProps, logicalIdOf, newPipeline, newStack, pipelineAction, SAMPLE_ROLE_ARN, singleAction, substituteTokens,
  userParametersOf,
} from './helpers';
import { StepFunctionsDeployAction } from '../../src';
import { validateConfig } from '../../src/shared/config';

describe('StepFunctionsDeployAction in a pipeline stage', () => {
  test('stage.addAction() synthesizes a Lambda Invoke action on the trigger function, reading the source artifact', () => {
    const { action, template } = singleAction();
    const t = template();

    t.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([Match.objectLike({
        Name: 'Deploy',
        Actions: Match.arrayWith([Match.objectLike({
          Name: 'Deploy',
          ActionTypeId: { Category: 'Invoke', Owner: 'AWS', Provider: 'Lambda', Version: '1' },
          Configuration: Match.objectLike({
            FunctionName: { Ref: logicalIdOf(action.triggerFunction) },
            UserParameters: Match.anyValue(),
          }),
          InputArtifacts: [{ Name: 'PipelineSource' }],
          RunOrder: 1,
        })]),
      })]),
    });
  });

  test('UserParameters hold the stack name, the template path and the deployment role ARN', () => {
    const { action, template } = singleAction();
    const { config, tokens } = userParametersOf(template(), 'Deploy');

    expect(config).toMatchObject({ v: 1, stackName: 'app', templatePath: 'infra/app.yaml' });
    expect(tokens[config.roleArn]).toEqual({ 'Fn::GetAtt': [logicalIdOf(action.deploymentRole), 'Arn'] });
  });

  test('UserParameters pass the trigger handler\'s own validation (the construct/handler contract)', () => {
    const { template } = singleAction((source) => ({
      environmentName: 'prod',
      templateConfiguration: source.atPath('infra/prod.json'),
      parameterOverrides: { Size: 'large' },
      tags: { team: 'platform' },
      cfnCapabilities: [CfnCapabilities.NAMED_IAM, CfnCapabilities.AUTO_EXPAND],
      pollInterval: Duration.seconds(10),
      timeout: Duration.hours(2),
    }));
    const { config } = userParametersOf(template(), 'Deploy');

    const validated = validateConfig(substituteTokens(config, SAMPLE_ROLE_ARN) as Record<string, unknown>);

    expect(validated).toMatchObject({
      stackName: 'app',
      environmentName: 'prod',
      templatePath: 'infra/app.yaml',
      templateConfigurationPath: 'infra/prod.json',
      parameterOverrides: { Size: 'large' },
      tags: { team: 'platform' },
      capabilities: ['CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      pollIntervalSeconds: 10,
      timeoutMinutes: 120,
      roleArn: SAMPLE_ROLE_ARN,
    });
  });

  test('CfnCapabilities.NONE is left out of the capabilities', () => {
    const { template } = singleAction({ cfnCapabilities: [CfnCapabilities.NONE] });
    expect(userParametersOf(template(), 'Deploy').config.capabilities).toBeUndefined();
  });

  test('actionName and runOrder are passed to the pipeline', () => {
    const { template } = singleAction({ actionName: 'DeployApp', runOrder: 3 });
    expect(pipelineAction(template(), 'DeployApp')).toMatchObject({ Name: 'DeployApp', RunOrder: 3 });
  });

  test('the input artifact is the templatePath\'s artifact; role is the action\'s role, as for aws-cdk-lib\'s actions', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const role = new iam.Role(stack, 'ActionRole', { assumedBy: new iam.AccountRootPrincipal() });
    pipeline.addStage({ stageName: 'Deploy' }).addAction(new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, {
      templateConfiguration: source.atPath('infra/prod.json'), role,
    })));
    expect(pipelineAction(Template.fromStack(stack), 'Deploy')).toMatchObject({
      InputArtifacts: [{ Name: 'PipelineSource' }],
      RoleArn: { 'Fn::GetAtt': [logicalIdOf(role), 'Arn'] },
    });
  });

  test('a template configuration in another artifact than the template is refused, naming both', () => {
    const stack = newStack();
    const { source } = newPipeline(stack);
    expect(() => new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, {
      templateConfiguration: new codepipeline.Artifact('Config').atPath('prod.json'),
    }))).toThrow('every ArtifactPath of the action must be in one artifact, its input: templatePath is in PipelineSource, ' +
      'templateConfiguration in Config (a different artifact)');
  });

  test('an imported deployment role is used as given and its ARN travels in UserParameters', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const role = iam.Role.fromRoleArn(stack, 'Imported', SAMPLE_ROLE_ARN);
    const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, { deploymentRole: role }));
    pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
    const t = Template.fromStack(stack);

    expect(action.deploymentRole).toBe(role);
    expect(userParametersOf(t, 'Deploy').config.roleArn).toBe(SAMPLE_ROLE_ARN);
    t.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([Match.objectLike({
        Name: 'Deploy',
        Actions: Match.arrayWith([Match.objectLike({
          Configuration: Match.objectLike({
            UserParameters: Match.serializedJson(Match.objectLike({ stackName: 'app', roleArn: SAMPLE_ROLE_ARN })),
          }),
        })]),
      })]),
    });
    // No role is created for CloudFormation when one is given.
    t.resourcePropertiesCountIs('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudformation.amazonaws.com' } })]),
      }),
    }, 0);
  });

  test('the S3 input file travels as the seed\'s s3Bucket + stateMachineFile and the trigger may read that key only', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const configBucket = new s3.Bucket(stack, 'ConfigBucket');
    const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, {
      inputFileBucket: configBucket, inputFileKey: 'deploy/app.json',
    }));
    pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
    const t = Template.fromStack(stack);

    const { config, tokens } = userParametersOf(t, 'Deploy');
    expect(config.stateMachineFile).toBe('deploy/app.json');
    expect(tokens[config.s3Bucket]).toEqual({ Ref: logicalIdOf(configBucket) });
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(action.triggerFunction.role!) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(configBucket), 'Arn'] }, '/deploy/app.json']] },
        })]),
      },
    });
  });

  test('the action exposes its trigger function, task function, state machine and deployment role', () => {
    const { action, stack } = singleAction();
    const t = Template.fromStack(stack);

    t.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Timeout: 30 });
    expect(t.findResources('AWS::Lambda::Function')[logicalIdOf(action.triggerFunction)]).toBeDefined();
    expect(t.findResources('AWS::Lambda::Function')[logicalIdOf(action.taskFunction)]).toBeDefined();
    expect(t.findResources('AWS::StepFunctions::StateMachine')[logicalIdOf(action.stateMachine)]).toBeDefined();
    expect(t.findResources('AWS::IAM::Role')[logicalIdOf(action.deploymentRole)]).toBeDefined();
    expect(action.triggerFunction).not.toBe(action.taskFunction);
    expect(action.stateMachine).toBe(action.deployStateMachine.stateMachine);
    expect(action.stackName).toBe('app');
  });

  test('stackName is the environment-prefixed name', () => {
    expect(singleAction({ environmentName: 'prod' }).action.stackName).toBe('prod-app');
  });

  test('variable("StackName") with a variablesNamespace feeds a later action', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, { variablesNamespace: 'DeployVars' }));
    pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
    pipeline.addStage({ stageName: 'Check' }).addAction(new cpactions.ManualApprovalAction({
      actionName: 'Approve',
      additionalInformation: `Deployed ${action.variable('StackName')}: ${action.variable('Outcome')}`,
    }));
    const t = Template.fromStack(stack);

    expect(stack.resolve(action.variable('StackName'))).toBe('#{DeployVars.StackName}');
    expect(pipelineAction(t, 'Deploy').Namespace).toBe('DeployVars');
    expect(pipelineAction(t, 'Approve').Configuration.CustomData)
      .toBe('Deployed #{DeployVars.StackName}: #{DeployVars.Outcome}');
  });

  test('variable() without a variablesNamespace gets the action a generated namespace', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source));
    pipeline.addStage({ stageName: 'Deploy' }).addAction(action);
    pipeline.addStage({ stageName: 'Check' }).addAction(new cpactions.ManualApprovalAction({
      actionName: 'Approve', additionalInformation: action.variable('ChangeSetName'),
    }));
    const t = Template.fromStack(stack);

    const namespace = pipelineAction(t, 'Deploy').Namespace;
    expect(namespace).toEqual(expect.any(String));
    expect(pipelineAction(t, 'Approve').Configuration.CustomData).toBe(`#{${namespace}.ChangeSetName}`);
  });

  test('onStateChange() creates an EventBridge rule on the action\'s pipeline', () => {
    const { action, stack } = singleAction();
    action.onStateChange('DeployStateChanged');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'source': ['aws.codepipeline'],
        'detail-type': ['CodePipeline Action Execution State Change'],
      }),
    });
  });

  test('the action can be given in a stage\'s actions list', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket', { versioned: true });
    const source = new codepipeline.Artifact('Src');
    new codepipeline.Pipeline(stack, 'Pipeline', {
      stages: [
        { stageName: 'Source', actions: [new cpactions.S3SourceAction({ actionName: 'Source', bucket, bucketKey: 'k.zip', output: source })] },
        { stageName: 'Deploy', actions: [new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source))] },
      ],
    });
    expect(userParametersOf(Template.fromStack(stack), 'Deploy').config.stackName).toBe('app');
  });
});
