/**
 * The deployment role's permissions are a visible choice. The action creates a CloudFormation service role with no
 * permissions unless told otherwise; a role that still holds none once the app is complete gets a synth warning
 * (`deploymentRoleWithoutPermissions`), which names the action, the stack and the three ways out. What is added after
 * the constructor counts: `addToDeploymentRolePolicy()`, grants, managed and attached policies.
 */
import { Annotations as CoreAnnotations } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { basicProps, newPipeline, newStack, singleAction } from './helpers';
import { StepFunctionsDeployAction } from '../../src';
import type { StepFunctionsDeployAction as Action } from '../../src';

const ID = 'cdk-stepfunctions-deploy-action:deploymentRoleWithoutPermissions';

function roleWarnings(stack: Stack) {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('deploymentRoleWithoutPermissions'))
    .map((w) => ({ path: w.id, text: String(w.entry.data) }));
}

test('GIVEN the quick start\'s action (a created role, nothing added) THEN a warning on the role names the action, the stack, and the three ways out', () => {
  const { stack } = singleAction();
  const warnings = roleWarnings(stack);
  expect(warnings).toHaveLength(1);
  expect(warnings[0].path).toBe('/TestStack/Deploy/DeploymentRole');
  expect(warnings[0].text).toMatch(/^StepFunctionsDeployAction at TestStack\/Deploy: the CloudFormation service role it created \(deploymentRole\) has no permissions/);
  expect(warnings[0].text).toContain('no resource of stack app and the first deployment fails');
  expect(warnings[0].text).toMatch(/addToDeploymentRolePolicy\(\.\.\.\).*deploymentRole.*adminPermissions: true/);
  expect(warnings[0].text).toContain(`[ack: ${ID}]`);
});

test('GIVEN a unit whose stacks use the created role THEN the warning names every stack', () => {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  pipeline.addStage({
    stageName: 'Deploy',
    actions: [new StepFunctionsDeployAction(stack, 'Deploy', {
      actionName: 'Deploy',
      environmentName: 'prod',
      stacks: [{ stackName: 'network', templatePath: source.atPath('network.json') }, { stackName: 'app', templatePath: source.atPath('app.json') }],
    })],
  });
  expect(roleWarnings(stack).map((w) => w.text)).toEqual([expect.stringContaining('no resource of stacks prod-network, prod-app and')]);
});

describe('no warning when the role holds a permission, however it got it, or is not used', () => {
  test.each<[string, (action: Action) => void]>([
    ['addToDeploymentRolePolicy() after the constructor', (action) => {
      action.addToDeploymentRolePolicy(new iam.PolicyStatement({ actions: ['sqs:*'], resources: ['*'] }));
    }],
    ['a grant on the role', (action) => {
      new s3.Bucket(action, 'Data').grantRead(action.deploymentRole);
    }],
    ['a managed policy', (action) => {
      (action.deploymentRole as iam.Role).addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('PowerUserAccess'));
    }],
    ['an inline policy attached to it', (action) => {
      (action.deploymentRole as iam.Role).attachInlinePolicy(new iam.Policy(action, 'Inline', {
        statements: [new iam.PolicyStatement({ actions: ['sns:*'], resources: ['*'] })],
      }));
    }],
    ['a customer managed policy that names it', (action) => {
      new iam.ManagedPolicy(action, 'Managed', {
        roles: [action.deploymentRole], statements: [new iam.PolicyStatement({ actions: ['sqs:*'], resources: ['*'] })],
      });
    }],
  ])('GIVEN %s THEN no warning', (_what, give) => {
    const { stack, action } = singleAction();
    give(action);
    expect(roleWarnings(stack)).toEqual([]);
  });

  test('GIVEN adminPermissions: true THEN no warning', () => {
    expect(roleWarnings(singleAction({ adminPermissions: true }).stack)).toEqual([]);
  });

  test('GIVEN a deploymentRole of the user\'s own THEN no warning (its policy is the user\'s)', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const role = new iam.Role(stack, 'Mine', { assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com') });
    pipeline.addStage({ stageName: 'Deploy', actions: [new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, { deploymentRole: role }))] });
    expect(roleWarnings(stack)).toEqual([]);
  });

  test('GIVEN a unit whose every stack has its own deploymentRole THEN no warning (the created role deploys nothing)', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const role = iam.Role.fromRoleArn(stack, 'Mine', 'arn:aws:iam::111111111111:role/cfn-exec');
    pipeline.addStage({
      stageName: 'Deploy',
      actions: [new StepFunctionsDeployAction(stack, 'Deploy', {
        actionName: 'Deploy',
        stacks: [
          { stackName: 'network', templatePath: source.atPath('network.json'), deploymentRole: role },
          { stackName: 'app', templatePath: source.atPath('app.json'), deploymentRole: role },
        ],
      })],
    });
    expect(roleWarnings(stack)).toEqual([]);
  });

  test('GIVEN the warning acknowledged on the action THEN it is not shown', () => {
    const { stack, action } = singleAction();
    // The aws-cdk-lib way to accept a warning, for a role whose rights come from somewhere the check cannot see.
    CoreAnnotations.of(action).acknowledgeWarning(ID, 'the role gets its rights from a policy another stack attaches');
    expect(roleWarnings(stack)).toEqual([]);
  });
});
