/**
 * Each action keeps its own rights, and the functions may confirm jobs of their own pipelines only. The shared
 * task function may deploy each action's stack by its exact name; a blue/green action's new stacks by a pattern
 * that fits only their names; nested stacks only to read their change sets. A pattern that would cover another
 * action's stack is refused at synth. The rights are evaluated here with IAM's own wildcards (`*`, `?`).
 */
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as sns from 'aws-cdk-lib/aws-sns';
import { basicProps, logicalIdOf, newPipeline, newStack, statementsOf, userParametersOf } from './helpers';
import type { Statement } from './helpers';
import { RuleVerdict, SafetyPolicy, StepFunctionsDeployAction, UnsafeChangeAction } from '../../src';
import { globMatches } from '../../src/policy/glob';

/** The stack names a statement's resources cover (`stack/<pattern>/*`), as IAM patterns. */
function stackPatterns(statement: Statement | undefined): string[] {
  return (statement?.Resource ?? []).map((r) => JSON.stringify(r)).flatMap((r) => {
    const match = /:stack\/([^/]+)\/\*/.exec(r);
    return match ? [match[1]] : [];
  });
}

/** What the task function may do to a stack named `name`: deploy it, read its change sets, or nothing. */
function rightsOn(statements: Statement[], name: string): 'deploy' | 'read change sets' | 'none' {
  if (stackPatterns(statements.find((s) => s.Sid === 'DeployTargetStacks')).some((p) => globMatches(p, name))) return 'deploy';
  if (stackPatterns(statements.find((s) => s.Sid === 'ReadNestedChangeSets')).some((p) => globMatches(p, name))) return 'read change sets';
  return 'none';
}

function twoActions(app: Partial<ConstructorParameters<typeof StepFunctionsDeployAction>[2]> = {}) {
  const stack = newStack();
  const { pipeline, source } = newPipeline(stack);
  const appAction = new StepFunctionsDeployAction(stack, 'DeployApp', basicProps(source, { actionName: 'DeployApp', stackName: 'app', ...app }));
  const dbAction = new StepFunctionsDeployAction(stack, 'DeployDb', basicProps(source, { actionName: 'DeployDb', stackName: 'app-db' }));
  pipeline.addStage({ stageName: 'Deploy', actions: [appAction, dbAction] });
  return { stack, pipeline, appAction, dbAction };
}

describe('each action keeps its own rights', () => {
  test('GIVEN stacks app (blue/green) and app-db WHEN synthesized THEN app\'s new stacks are app-g and 8 characters: the pattern covers app-gc0ffee1 and not app-db', () => {
    const { stack, appAction } = twoActions({ onUnsafeChange: UnsafeChangeAction.deployToNewStack() });
    const statements = statementsOf(Template.fromStack(stack), logicalIdOf(appAction.taskFunction.role!));

    expect(stackPatterns(statements.find((s) => s.Sid === 'DeployTargetStacks'))).toEqual(['app', 'app-g????????', 'app-db']);
    expect(rightsOn(statements, 'app-ga1b2c3d4')).toBe('deploy');
    // app-db is deployable because it is the db action's own stack, by its exact name; nothing else of that shape is.
    expect(rightsOn(statements, 'app-dbx')).not.toBe('deploy');
    expect(rightsOn(statements, 'app-gateway')).not.toBe('deploy');
    expect(rightsOn(statements, 'app-green')).not.toBe('deploy');
  });

  test('GIVEN an explicit blue/green suffix THEN exactly <stack>-<suffix> may be deployed', () => {
    const { stack, appAction } = twoActions({ onUnsafeChange: UnsafeChangeAction.deployToNewStack({ stackNameSuffix: 'green' }) });
    const statements = statementsOf(Template.fromStack(stack), logicalIdOf(appAction.taskFunction.role!));
    expect(stackPatterns(statements.find((s) => s.Sid === 'DeployTargetStacks'))).toEqual(['app', 'app-green', 'app-db']);
  });

  test('GIVEN nested stacks (the default) THEN the task function may only read the change sets of <stack>-* stacks, never deploy them', () => {
    const { stack, appAction } = twoActions();
    const statements = statementsOf(Template.fromStack(stack), logicalIdOf(appAction.taskFunction.role!));
    const read = statements.find((s) => s.Sid === 'ReadNestedChangeSets');
    expect(read?.Action).toEqual(['cloudformation:DescribeChangeSet']);
    expect(rightsOn(statements, 'app-NetworkStack-1A2B3C4D5E6F')).toBe('read change sets');
    expect(rightsOn(statements, 'unrelated-stack')).toBe('none');
  });

  test('GIVEN a blue/green suffix that would name another action\'s stack THEN synth is refused, naming both', () => {
    const { stack } = twoActions({ onUnsafeChange: UnsafeChangeAction.deployToNewStack({ stackNameSuffix: 'db' }) });
    expect(() => Template.fromStack(stack)).toThrow(/the blue\/green stacks of TestStack\/DeployApp \(app-db\) would include app-db, the stack of TestStack\/DeployDb/);
  });

  test('GIVEN the default blue/green suffix and another action whose stack has that shape THEN synth is refused', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    const app = new StepFunctionsDeployAction(stack, 'DeployApp', basicProps(source, { actionName: 'DeployApp', stackName: 'app', onUnsafeChange: UnsafeChangeAction.deployToNewStack() }));
    const other = new StepFunctionsDeployAction(stack, 'DeployOther', basicProps(source, { actionName: 'DeployOther', stackName: 'app-gabcdefgh' }));
    pipeline.addStage({ stageName: 'Deploy', actions: [app, other] });
    expect(() => Template.fromStack(stack)).toThrow(/\(app-g\?\?\?\?\?\?\?\?\) would include app-gabcdefgh/);
  });
});

describe('the functions confirm jobs of their own pipelines only', () => {
  test('GIVEN two pipelines WHEN synthesized THEN both functions may list the action executions of those two pipelines, and of no other', () => {
    const stack = newStack();
    const first = newPipeline(stack, 'First');
    const second = newPipeline(stack, 'Second');
    const a = new StepFunctionsDeployAction(stack, 'DeployA', basicProps(first.source, { actionName: 'DeployA', stackName: 'a' }));
    const b = new StepFunctionsDeployAction(stack, 'DeployB', basicProps(second.source, { actionName: 'DeployB', stackName: 'b' }));
    first.pipeline.addStage({ stageName: 'Deploy', actions: [a] });
    second.pipeline.addStage({ stageName: 'Deploy', actions: [b] });
    const t = Template.fromStack(stack);

    for (const role of [a.taskFunction.role!, a.triggerFunction.role!]) {
      const listed = statementsOf(t, logicalIdOf(role)).filter((s) => s.Action.includes('codepipeline:ListActionExecutions'));
      expect(listed.flatMap((s) => s.Resource).map((r) => JSON.stringify(r)).sort()).toEqual(
        [first.pipeline, second.pipeline].map((p) => JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':codepipeline:eu-west-1:111111111111:', { Ref: logicalIdOf(p) }]] })).sort());
      const details = statementsOf(t, logicalIdOf(role)).filter((s) => s.Action.includes('codepipeline:GetJobDetails'));
      expect(details.flatMap((s) => s.Resource)).toEqual(['*']);
    }
  });

  test('GIVEN the pipeline refers to the trigger WHEN synthesized THEN the pipeline grant is a policy of its own, so the template has no dependency cycle', () => {
    const stack = newStack();
    const { pipeline, source } = newPipeline(stack);
    pipeline.addStage({ stageName: 'Deploy', actions: [new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source))] });
    // Template.fromStack throws on a cycle; the pipeline's own policy names both functions' roles.
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
      Properties: { PolicyDocument: { Statement: [{ Action: 'codepipeline:ListActionExecutions' }] } },
    });
    expect(Object.values(policies)).toHaveLength(1);
    expect(Object.values(policies)[0].Properties.Roles).toHaveLength(2);
  });
});

describe('deadlines', () => {
  const topic = () => sns.Topic.fromTopicArn(newStack('Topics'), 'Topic', 'arn:aws:sns:eu-west-1:111111111111:approvals');
  const asking = SafetyPolicy.denyDestructiveChanges({ destructiveChangeVerdict: RuleVerdict.REQUIRE_APPROVAL });

  test('GIVEN an approval timeout longer than the action\'s timeout THEN synth is refused: an approval after the deadline could never be executed', () => {
    const stack = newStack();
    const source = new codepipeline.Artifact('Source');
    expect(() => new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, {
      safetyPolicy: asking,
      onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: topic(), timeout: Duration.hours(4) }),
      timeout: Duration.hours(2),
    }))).toThrow(/the approval timeout \(240 minutes\) is longer than the action's timeout \(120 minutes\)/);
  });

  test('GIVEN no approval timeout THEN it is the action\'s timeout (at most 20 hours)', () => {
    for (const [timeout, expected] of [[undefined, 7200], [Duration.hours(6), 6 * 3600], [Duration.hours(23), 20 * 3600]] as const) {
      const stack = newStack();
      const { pipeline, source } = newPipeline(stack);
      const action = new StepFunctionsDeployAction(stack, 'Deploy', basicProps(source, {
        safetyPolicy: asking, onUnsafeChange: UnsafeChangeAction.requireApproval({ notificationTopic: topic() }), ...(timeout ? { timeout } : {}),
      }));
      pipeline.addStage({ stageName: 'Deploy', actions: [action] });
      expect(userParametersOf(Template.fromStack(stack), 'Deploy').config.onUnsafe.timeoutSeconds).toBe(expected);
    }
  });
});
