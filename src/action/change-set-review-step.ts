import { Aws, Duration, Stack, Stage } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { bindInvokeAction, bindSafety, checkConfig, checkUserParametersLength, timingConfig, validateTiming, whereOf } from './safety-settings';
import type { SafetyPolicy } from '../policy/safety-policy';
import type { UnsafeChangeAction } from '../policy/unsafe-change-action';
import { MAX_UNIT_STACKS } from '../shared/config';
import { CDK_PIPELINES_CHANGE_SET, CONFIG_VERSION } from '../shared/contract';
import type { ActionConfig, StackConfig } from '../shared/contract';
import { DeployStateMachine } from '../workflow/deploy-state-machine';

/** Properties of a `ChangeSetReviewStep`. */
export interface ChangeSetReviewStepProps {
  /**
   * The safety policy that decides whether the prepared change sets may be executed.
   * @default SafetyPolicy.denyDestructiveChanges()
   */
  readonly safetyPolicy?: SafetyPolicy;

  /**
   * What happens when the safety policy refuses a change set: fail the action (the default), or ask a person
   * (`UnsafeChangeAction.requireApproval()`). `deployToNewStack()` is not available: the pipeline deploys its stacks.
   * @default UnsafeChangeAction.fail()
   */
  readonly onUnsafeChange?: UnsafeChangeAction;

  /**
   * The first poll interval while a change set or a stack is still busy.
   * @default Duration.seconds(5)
   */
  readonly pollInterval?: Duration;

  /**
   * How long the review may take (a person's approval included) before it fails the action.
   * @default Duration.hours(2)
   */
  readonly timeout?: Duration;

  /**
   * The deploy workflow to use.
   * @default - the shared workflow of the pipeline's stack, `DeployStateMachine.of()` of that stack
   */
  readonly deployStateMachine?: DeployStateMachine;
}

/** Options of `ChangeSetReviewStep.forStage()`: the review's settings, and the step's id. */
export interface ChangeSetReviewStageOptions extends ChangeSetReviewStepProps {
  /**
   * The step's id, its action's name in the stage.
   * @default 'ReviewChangeSets'
   */
  readonly stepId?: string;
}

/** A stack CDK Pipelines deploys, as the review needs it. */
interface ReviewedStack {
  readonly deployment: pipelines.StackDeployment;
  readonly stage: pipelines.StageDeployment;
}

/**
 * A CDK Pipelines step that reviews the change sets CDK Pipelines prepared, with a `SafetyPolicy`, before CDK
 * Pipelines executes them. Put it in `changeSet` of a stack's `stackSteps`: it runs after that stack's prepare
 * action and before its deploy action. It reads the change set (every page, and nested stacks' change sets when
 * CloudFormation gives them), then allows it (the deploy action that follows executes it), refuses it (the action
 * fails naming each refused change, the change set is deleted, and the deploy action never runs), or asks a person
 * (`UnsafeChangeAction.requireApproval()`). It never executes anything itself.
 *
 * The same step in `changeSet` of several stacks of one stage reviews them as one unit: one verdict, one approval,
 * after every prepare action and before any deploy action (`ChangeSetReviewStep.forStage()` does this for every
 * stack of a stage). Its action is then named by the step's id alone, as it reviews the stacks together, where CDK
 * Pipelines would name it after the first of them. Stacks of the stage that depend on one another cannot be reviewed
 * so: CDK Pipelines prepares a dependent stack's change set only once the stack it depends on is deployed.
 *
 * Every step and every `StepFunctionsDeployAction` of the pipeline stack share one deploy workflow.
 *
 * @example
 * declare const pipeline: pipelines.CodePipeline;
 * declare const staging: MyAppStage; // a cdk.Stage with stacks `database` and `api`
 * declare const prod: MyAppStage;
 *
 * // One stack: its change set is reviewed between its prepare and deploy actions.
 * pipeline.addStage(staging, {
 *   stackSteps: [{ stack: staging.database, changeSet: [new ChangeSetReviewStep('ReviewDatabase')] }],
 * });
 * // Every stack of a stage as one unit: one verdict, before any of them is deployed.
 * pipeline.addStage(prod, { stackSteps: ChangeSetReviewStep.forStage(prod) });
 */
export class ChangeSetReviewStep extends pipelines.Step implements pipelines.ICodePipelineActionFactory {
  /**
   * One step that reviews every stack of `stage` as one unit, in the form the `stackSteps` option of the pipeline's
   * `addStage()` takes (see the class's example). Refused when stacks of the stage depend on one another (CDK
   * Pipelines could not prepare them all before deploying any).
   * @param stage the stage whose stacks are reviewed
   * @param options the review's settings and the step's id
   */
  public static forStage(stage: Stage, options: ChangeSetReviewStageOptions = {}): pipelines.StackSteps[] {
    const stacks = stage.node.findAll().filter((c): c is Stack => Stack.isStack(c) && !c.nested && Stage.of(c) === stage);
    if (stacks.length === 0) throw new Error(`ChangeSetReviewStep.forStage: stage ${stage.stageName} has no stacks`);
    // The stage as CDK Pipelines sees it: its assembly's stacks, with the dependencies that references between
    // stacks (one stack's value used by another) add only when the stage is synthesized.
    const deployment = pipelines.StageDeployment.fromStage(stage);
    for (const stack of deployment.stacks) {
      const [dependency] = stack.stackDependencies;
      if (dependency) throw new Error(`ChangeSetReviewStep.forStage: ${dependencyProblem(stack.stackName, dependency.stackName)}`);
    }
    const { stepId, ...review } = options;
    const step = new ChangeSetReviewStep(stepId ?? 'ReviewChangeSets', review);
    return deployment.stacks.map((d) => ({ stack: stacks.find((s) => s.artifactId === d.stackArtifactId)!, changeSet: [step] }));
  }

  private readonly props: ChangeSetReviewStepProps;

  /**
   * @param id the step's id, which names its action (alone when the step reviews several stacks, as `<stack>.<id>`
   * when it reviews one stack of a stage that has several, as CDK Pipelines names a stack's steps)
   * @param props the review's settings
   */
  constructor(id: string, props: ChangeSetReviewStepProps = {}) {
    super(id);
    validateTiming('ChangeSetReviewStep', props);
    this.props = props;
  }

  /** Adds the review's Lambda invoke action to the pipeline stage CDK Pipelines builds. */
  public produceAction(stage: codepipeline.IStage, options: pipelines.ProduceActionOptions): pipelines.CodePipelineActionFactoryResult {
    const scope = new Construct(options.scope, `${options.actionName}ChangeSetReview`);
    const where = whereOf(`ChangeSetReviewStep ${this.id}`, scope);
    const reviewed = this.reviewedStacks(options.pipeline, where);
    // CDK Pipelines names a changeSet step's action after the stack whose steps hold it, the first one when several
    // do: a step that reviews several stacks is named by its id alone, in the stage of those stacks.
    const actionName = reviewed.length > 1 ? stageActionName(this.id, where) : options.actionName;
    checkExecutionMode(options.pipeline.pipeline);
    const workflow = this.props.deployStateMachine ?? DeployStateMachine.of(scope);
    const { policy, strategy } = bindSafety(where, scope, workflow.taskFunction, this.props, ['prepared', 'units']);
    const pipelineStack = Stack.of(options.pipeline);
    const stacks = reviewed.map(({ deployment }, i) => this.stackConfig(deployment, pipelineStack, scope, workflow, i, where));
    // The stacks of a stage usually share one account and region: their role and region are then written once.
    const where0 = { assumeRoleArn: stacks[0].assumeRoleArn, region: stacks[0].region };
    const shared = stacks.every((s) => s.assumeRoleArn === where0.assumeRoleArn && s.region === where0.region);
    const config: ActionConfig = {
      v: CONFIG_VERSION,
      prepared: CDK_PIPELINES_CHANGE_SET,
      ...(shared && where0.assumeRoleArn ? { assumeRoleArn: where0.assumeRoleArn } : {}),
      ...(shared && where0.region ? { region: where0.region } : {}),
      stacks: stacks.map((s) => (shared || (!s.assumeRoleArn && !s.region) ? s.stackName : s)),
      policy: policy.document,
      ...(strategy ? { onUnsafe: strategy.document } : {}),
      ...timingConfig(this.props),
    } as ActionConfig;
    checkConfig(where, config);
    checkUserParametersLength(where, config, 'review fewer stacks with this step (one step per stack, or per group of stacks)');

    stage.addAction(new ReviewAction(workflow, new cpactions.LambdaInvokeAction({
      actionName,
      lambda: workflow.triggerFunction,
      userParametersString: pipelineStack.toJsonString(config),
      runOrder: options.runOrder,
      variablesNamespace: options.variablesNamespace,
    })));
    policy.grantRights();
    strategy?.grantRights();
    return { runOrdersConsumed: 1 };
  }

  /** The stacks whose `changeSet` steps hold this step: all of one stage, none depending on another. */
  private reviewedStacks(pipeline: pipelines.PipelineBase, where: string): ReviewedStack[] {
    const reviewed = pipeline.waves.flatMap((wave) => wave.stages).flatMap((stage) =>
      stage.stacks.filter((deployment) => deployment.changeSet.includes(this)).map((deployment) => ({ deployment, stage })));
    if (reviewed.length === 0) {
      throw new Error(`${where}: it reviews the change sets CDK Pipelines prepares, so it belongs in the changeSet steps of ` +
        'stacks (stackSteps: [{ stack, changeSet: [step] }]), not in pre or post steps');
    }
    const stages = [...new Set(reviewed.map((r) => r.stage))];
    if (stages.length > 1) {
      throw new Error(`${where}: one step reviews stacks of one stage, but it is in stages ${stages.map((s) => s.stageName).join(', ')}: ` +
        'give each stage a step of its own');
    }
    if (reviewed.length > MAX_UNIT_STACKS) throw new Error(`${where}: one step reviews at most ${MAX_UNIT_STACKS} stacks, not ${reviewed.length}`);
    // Stacks that depend on one another cannot get here: CDK Pipelines finds the cycle through the step first.
    return reviewed;
  }

  /**
   * A stack's entry: its name, and where it is. A stack of another account is read through the deploy role its
   * CDK bootstrap made (the role CDK Pipelines prepares its change set with), another region in that region; a
   * stack of the pipeline's account and region with the task function's own rights, on that stack only.
   */
  private stackConfig(
    deployment: pipelines.StackDeployment, pipelineStack: Stack, scope: Construct, workflow: DeployStateMachine, index: number, where: string,
  ): StackConfig {
    const account = deployment.account !== undefined && deployment.account !== pipelineStack.account ? deployment.account : undefined;
    const region = deployment.region !== undefined && deployment.region !== pipelineStack.region ? deployment.region : undefined;
    if (!account) {
      workflow._grantReview(deployment.stackName, CDK_PIPELINES_CHANGE_SET, where, region);
      return { stackName: deployment.stackName, ...(region ? { region } : {}) };
    }
    if (!deployment.assumeRoleArn) {
      throw new Error(`${where}: stack ${deployment.stackName} is in account ${account} but has no deploy role to read its change set with: ` +
        'synthesize it with the DefaultStackSynthesizer and bootstrap that account with --trust for the pipeline\'s account');
    }
    const roleArn = cxapi.EnvironmentPlaceholders.replace(deployment.assumeRoleArn, {
      accountId: account, region: deployment.region ?? Aws.REGION, partition: Aws.PARTITION,
    });
    workflow._grantReviewRole(iam.Role.fromRoleArn(scope, `DeployRole${index}`, roleArn, { mutable: false }), [deployment.stackName]);
    return { stackName: deployment.stackName, assumeRoleArn: roleArn, ...(region ? { region } : {}) };
  }
}

/** The pipelines whose execution mode is checked at synth. */
const checkedPipelines = new WeakSet<codepipeline.Pipeline>();

/**
 * In PARALLEL mode a later run's prepare action can replace a change set after this run's review allowed it and
 * before this run's deploy action executes it (by name): the review would be worth nothing. The mode is read at
 * synth, as CloudFormation will get it (property overrides included); only SUPERSEDED (the default) and QUEUED,
 * which let one run at a time through a stage, are accepted; a value not known at synth is refused too.
 */
function checkExecutionMode(pipeline: codepipeline.Pipeline): void {
  if (checkedPipelines.has(pipeline)) return;
  checkedPipelines.add(pipeline);
  pipeline.node.addValidation({
    validate: () => {
      type Rendered = { Resources: Record<string, { Properties?: { ExecutionMode?: unknown } }> };
      const cfn = pipeline.node.defaultChild as unknown as { _toCloudFormation(): Rendered };
      const rendered: Rendered = Stack.of(pipeline).resolve(cfn._toCloudFormation());
      const mode = Object.values(rendered.Resources)[0]?.Properties?.ExecutionMode;
      if (mode === undefined || mode === codepipeline.ExecutionMode.SUPERSEDED || mode === codepipeline.ExecutionMode.QUEUED) return [];
      return [`ChangeSetReviewStep: the pipeline's execution mode is ${JSON.stringify(mode)}: in PARALLEL mode another run can replace a ` +
        'change set between its review and its deploy action, and a mode not known at synth may be PARALLEL; use SUPERSEDED (the default) or QUEUED'];
    },
  });
}

/** The step's id as a CodePipeline action name: CDK Pipelines' replacement of the characters CodePipeline refuses. */
function stageActionName(id: string, where: string): string {
  const name = id.replace(/[^A-Za-z0-9.@\-_]+/g, '_');
  if (name.length > MAX_ACTION_NAME) {
    throw new Error(`${where}: its id names the action that reviews the stage's stacks, and CodePipeline allows at most ` +
      `${MAX_ACTION_NAME} characters in an action name, not ${name.length}: give the step a shorter id`);
  }
  return name;
}

/** CodePipeline's limit on an action's name. */
const MAX_ACTION_NAME = 100;

function dependencyProblem(stack: string, dependency: string): string {
  return `stack ${stack} depends on ${dependency}, a stack of the same stage: CDK Pipelines prepares ${stack}'s change set only ` +
    `after ${dependency} is deployed, so no step can review both before either is deployed. Review them with a step each ` +
    '(stackSteps: [{ stack, changeSet: [new ChangeSetReviewStep(...)] }] per stack), or put them in different stages';
}

/** The Lambda invoke action, with the rights the workflow needs for this pipeline's jobs. */
class ReviewAction implements codepipeline.IAction {
  constructor(private readonly workflow: DeployStateMachine, private readonly inner: cpactions.LambdaInvokeAction) {}

  public get actionProperties(): codepipeline.ActionProperties {
    return this.inner.actionProperties;
  }

  public bind(scope: Construct, stage: codepipeline.IStage, options: codepipeline.ActionBindOptions): codepipeline.ActionConfig {
    return bindInvokeAction(this.workflow, this.inner, scope, stage, options);
  }

  public onStateChange(name: string, target?: events.IRuleTarget, options?: events.RuleProps): events.Rule {
    return this.inner.onStateChange(name, target, options);
  }
}
