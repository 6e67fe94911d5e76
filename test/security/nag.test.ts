/**
 * cdk-nag: the AwsSolutions and Serverless packs find nothing unsuppressed in a stack that uses the action,
 * and every suppression the library records says why. The test pipeline's own resources (its source bucket,
 * artifact bucket and roles, which aws-cdk-lib creates) are the user's: they are suppressed here, by the test,
 * with the reason; the library's resources carry their own suppressions.
 */
import { Annotations as CoreAnnotations, App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NagSuppressions, ServerlessChecks } from 'cdk-nag';
import { SafetyPolicy, StepFunctionsDeployAction } from '../../src';

function findings(stack: Stack): string[] {
  const annotations = Annotations.fromStack(stack);
  return [...annotations.findError('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())]
    .map((a) => `${a.id}: ${String(a.entry.data).split(':')[0]}`);
}

function stackWithActions(): { app: App; stack: Stack; pipeline: codepipeline.Pipeline } {
  const app = new App();
  const stack = new Stack(app, 'Nag', { env: { account: '123456789012', region: 'us-east-1' } });
  const source = new codepipeline.Artifact('Source');
  const sourceBucket = new s3.Bucket(stack, 'SourceBucket', { versioned: true, enforceSSL: true });
  const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', {
    pipelineType: codepipeline.PipelineType.V2,
    enableKeyRotation: true,
    stages: [
      { stageName: 'Source', actions: [new cpactions.S3SourceAction({ actionName: 'Source', bucket: sourceBucket, bucketKey: 'app.zip', output: source })] },
      {
        stageName: 'Deploy',
        actions: [
          new StepFunctionsDeployAction(stack, 'DeployApp', { actionName: 'DeployApp', stackName: 'app', templatePath: source.atPath('app.yaml') }),
          new StepFunctionsDeployAction(stack, 'DeployApi', {
            actionName: 'DeployApi', stackName: 'api', templatePath: source.atPath('api.yaml'), safetyPolicy: SafetyPolicy.allowAll(), adminPermissions: true,
          }),
          // Several stacks reviewed as one unit.
          new StepFunctionsDeployAction(stack, 'DeployRelease', {
            actionName: 'DeployRelease',
            stacks: [
              { stackName: 'network', templatePath: source.atPath('network.yaml') },
              { stackName: 'web', templatePath: source.atPath('web.yaml'), dependsOn: ['network'] },
            ],
          }),
        ],
      },
    ],
  });
  return { app, stack, pipeline };
}

/** The user's side of the test stack: not this library's resources. */
function suppressUserResources(stack: Stack): void {
  NagSuppressions.addResourceSuppressionsByPath(stack, ['/Nag/SourceBucket/Resource', '/Nag/Pipeline/ArtifactsBucket/Resource'], [
    { id: 'AwsSolutions-S1', reason: 'the test pipeline\'s own buckets: access logging is the user\'s choice, not this library\'s' },
  ]);
  NagSuppressions.addResourceSuppressionsByPath(stack, [
    '/Nag/Pipeline/Role/DefaultPolicy/Resource',
    '/Nag/Pipeline/Source/Source/CodePipelineActionRole/DefaultPolicy/Resource',
  ], [{ id: 'AwsSolutions-IAM5', reason: 'the test pipeline\'s own roles, as aws-cdk-lib creates them' }]);
  // The library's own warning, not a cdk-nag finding: this stack is never deployed, so its deployment roles need no rights.
  CoreAnnotations.of(stack).acknowledgeWarning('cdk-stepfunctions-deploy-action:deploymentRoleWithoutPermissions', 'the test stack is never deployed');
}

test('GIVEN a pipeline with three StepFunctionsDeployActions, one of them a unit of stacks, WHEN the AwsSolutions and Serverless packs run THEN no finding is left unsuppressed', () => {
  const { app, stack } = stackWithActions();
  suppressUserResources(stack);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  Aspects.of(app).add(new ServerlessChecks({ verbose: true }));
  app.synth();
  expect(findings(stack)).toEqual([]);
});

test('the library\'s own resources carry suppressions, each with a reason, and the check is real: without them findings appear', () => {
  const { app, stack } = stackWithActions();
  suppressUserResources(stack);
  // Strip the library's suppressions: the same packs must then report findings on the library's resources.
  for (const construct of stack.node.findAll()) {
    const resource = construct as { cfnOptions?: { metadata?: Record<string, unknown> } };
    const metadata = resource.cfnOptions?.metadata;
    if (!metadata?.cdk_nag) continue;
    const rules = (metadata.cdk_nag as { rules_to_suppress: { id: string; reason: string }[] }).rules_to_suppress;
    const path = construct.node.path;
    if (path.includes('StepFunctionsDeployWorkflow') || path.includes('/Deploy/')) {
      for (const rule of rules) expect(rule.reason.length).toBeGreaterThan(30);
      delete metadata.cdk_nag;
    }
  }
  Aspects.of(app).add(new AwsSolutionsChecks());
  Aspects.of(app).add(new ServerlessChecks());
  app.synth();
  const found = findings(stack);
  expect(found.length).toBeGreaterThan(0);
  expect(found.every((f) => f.startsWith('/Nag/StepFunctionsDeployWorkflow') || f.includes('/Deploy'))).toBe(true);
});
