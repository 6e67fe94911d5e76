import { createHash } from 'crypto';
import { Annotations, ArnFormat, AspectPriority, Aspects, CfnCapabilities, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { bindInvokeAction, bindSafety, checkConfig, checkUserParametersLength, timingConfig, validateTiming, whereOf } from './safety-settings';
import type { PolicyBinding, StrategyBinding } from '../policy/binding';
import { SafetyPolicy } from '../policy/safety-policy';
import { UnsafeChangeAction } from '../policy/unsafe-change-action';
import { suppressNag } from '../private/nag';
import { MAX_BLOCKING_ALARMS, MAX_ROLLBACK_ALARMS, MONITORING_MINUTES } from '../shared/config';
import { CONFIG_VERSION, STAGING_PREFIX, defaultTemplatePath } from '../shared/contract';
import type { ActionConfig, RollbackAlarm, StackConfig } from '../shared/contract';
import { fullStackName } from '../shared/naming';
import { DeployStateMachine } from '../workflow/deploy-state-machine';

/** One stack of a unit: several stacks that one `StepFunctionsDeployAction` reviews together (`stacks`). */
export interface StackToDeploy {
  /** The stack's name. With the action's `environmentName`, the deployed stack is `<environmentName>-<stackName>`. */
  readonly stackName: string;

  /**
   * The stack's template in the input artifact: the artifact's `atPath()` of its file, for example
   * `Network.template.json`. Every `ArtifactPath` of the action is in the same artifact: that artifact is the
   * action's input.
   */
  readonly templatePath: codepipeline.ArtifactPath;

  /**
   * The stack's template configuration file (`Parameters`, `Tags`, `StackPolicy`) in the input artifact, as for
   * a single stack.
   * @default - no template configuration
   */
  readonly templateConfiguration?: codepipeline.ArtifactPath;

  /**
   * Stack parameters. They win over the template configuration file's.
   * @default - none
   */
  readonly parameterOverrides?: { [name: string]: string };

  /**
   * Parameters whose values are outputs of earlier stacks of the unit, written `<stackName>.<OutputKey>`: for
   * example, the parameter `VpcId` maps to `network.VpcId`. The stack is then reviewed in a later wave, once that
   * stack is deployed.
   * @default - none
   */
  readonly parameterOutputs?: { [name: string]: string };

  /**
   * Earlier stacks of the unit that this one needs deployed before its change set can be created (it imports
   * their exports): it is reviewed in a later wave. A stack whose change set fails only because an export of an
   * earlier stack of its wave does not exist yet goes to the next wave by itself.
   * @default - none
   */
  readonly dependsOn?: string[];

  /**
   * Stack tags. They win over the template configuration file's.
   * @default - none
   */
  readonly tags?: { [key: string]: string };

  /**
   * The capabilities the template needs (aws-cdk-lib's CloudFormation actions call them `cfnCapabilities` too).
   * @default - none
   */
  readonly cfnCapabilities?: CfnCapabilities[];

  /**
   * The CloudFormation service role for this stack.
   * @default - the action's `deploymentRole` (or the role it creates), shared by the unit's stacks
   */
  readonly deploymentRole?: iam.IRole;

  /**
   * CloudWatch alarms (composite alarms too) that CloudFormation watches as the stack's rollback triggers: while it
   * creates or updates the stack, and for `monitoringTime` after every resource is deployed. An alarm that goes to
   * ALARM rolls the whole operation back, and the action fails naming the alarm, its state reason and the stack's
   * final status. At most 5 (CloudFormation's limit), in the stack's account and region. A composite alarm is
   * recognised as one when it is a `CompositeAlarm` of this app (an imported one is sent as a metric alarm).
   * Leaving them out after they were given removes them from the stack on its next deployment.
   * @default - the action's `rollbackAlarms`
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];

  /**
   * How long CloudFormation keeps watching the rollback alarms after every resource is deployed, whole minutes,
   * up to 180: the action succeeds only once this period has passed without an alarm (the stack stays
   * UPDATE_IN_PROGRESS or CREATE_IN_PROGRESS meanwhile), so the action's `timeout` must be longer.
   * @default - the action's `monitoringTime`
   */
  readonly monitoringTime?: Duration;
}

/** What a deployment does when one of its rollback or blocking alarms is in ALARM before a stack is deployed. */
export enum WhenAlarmFiring {
  /** Wait, reading the alarms once a minute, until none is in ALARM; at the action's timeout, fail. Nothing is deployed meanwhile. */
  WAIT = 'WAIT',
  /** Fail at once, deploying nothing. */
  FAIL = 'FAIL',
}

/**
 * Properties of a `StepFunctionsDeployAction`.
 *
 * The common action properties are aws-cdk-lib's own (`codepipeline.CommonAwsActionProps`: `actionName`,
 * `runOrder`, `variablesNamespace`, `role`), with their meanings: the action is a Lambda invoke action to
 * CodePipeline, and they are passed to it as they are.
 */
export interface StepFunctionsDeployActionProps extends codepipeline.CommonAwsActionProps {
  /**
   * The name of the stack to deploy, with `templatePath`, as aws-cdk-lib's `CloudFormationCreateUpdateStackAction`
   * takes them. With `environmentName`, the deployed stack is `<environmentName>-<stackName>`.
   * @default - none: give either `stackName` and `templatePath` (one stack), or `stacks` (a unit)
   */
  readonly stackName?: string;

  /**
   * An environment name (dev, test, prod) that prefixes the stack name: `<environmentName>-<stackName>`.
   * @default - no prefix
   */
  readonly environmentName?: string;

  /**
   * The template in the input artifact: the artifact's `atPath()` of its file, for example `infra/app.yaml`. The
   * artifact of this path is the action's input; every `ArtifactPath` of the action (`templateConfiguration`, and each
   * stack's with `stacks`) must be in that same artifact.
   * @default - none: give either `stackName` and `templatePath` (one stack), or `stacks` (a unit)
   */
  readonly templatePath?: codepipeline.ArtifactPath;

  /**
   * Several stacks reviewed as one unit, in the order they are deployed, instead of `stackName` and
   * `templatePath`. Every change set of the unit is created and judged by the safety policy before any is
   * executed; the unit's verdict is the worst of all; one approval (with `UnsafeChangeAction.requireApproval()`)
   * covers the whole unit; a refused unit executes nothing. Then the change sets execute one after another, and
   * a failure leaves the later stacks untouched. A stack that needs an earlier one deployed first (`dependsOn`,
   * `parameterOutputs`) is reviewed in a later wave. The policy, strategy, timeout and the other settings of the
   * action apply to every stack.
   * @default - one stack: `stackName` and `templatePath`
   */
  readonly stacks?: StackToDeploy[];

  /**
   * A template configuration file in the input artifact, in the format of CloudFormation's own pipeline action:
   * `{ "Parameters": {...}, "Tags": {...}, "StackPolicy": {...} }`. The stack policy is applied when the stack
   * is created.
   * @default - no template configuration
   */
  readonly templateConfiguration?: codepipeline.ArtifactPath;

  /**
   * Stack parameters. They win over the template configuration file's.
   * @default - none
   */
  readonly parameterOverrides?: { [name: string]: string };

  /**
   * Stack tags. They win over the template configuration file's.
   * @default - none
   */
  readonly tags?: { [key: string]: string };

  /**
   * The capabilities the template needs.
   * @default - none
   */
  readonly cfnCapabilities?: CfnCapabilities[];

  /**
   * The role CloudFormation assumes to change the stack's resources (the stack's service role).
   * The workflow's functions hold no rights on the resources themselves.
   * @default - a new role that CloudFormation can assume, with no permissions unless `adminPermissions`
   *            is set; add what the stack needs with `addToDeploymentRolePolicy()`
   */
  readonly deploymentRole?: iam.IRole;

  /**
   * Cross-account: a role in the account the stack is deployed to, which the workflow's task function assumes
   * for its CloudFormation calls. It must trust the task function's role (`action.taskFunction.role`) and
   * allow the CloudFormation actions on the stack and `iam:PassRole` on `deploymentRole`, which must be a
   * role of that account too. The role may read the templates staged for this action in the artifact bucket
   * (and use its key), for templates over 51,200 bytes.
   * @default - the pipeline's account: the task function calls CloudFormation itself
   */
  readonly targetAccountRole?: iam.IRole;

  /**
   * CloudWatch alarms (composite alarms too) that CloudFormation watches as the stack's rollback triggers: while it
   * creates or updates the stack, and for `monitoringTime` after every resource is deployed. An alarm that goes to
   * ALARM rolls the whole operation back, and the action fails naming the alarm, its state reason and the stack's
   * final status. At most 5 (CloudFormation's limit), in the stack's account and region. A composite alarm is
   * recognised as one when it is a `CompositeAlarm` of this app (an imported one is sent as a metric alarm).
   * Leaving them out after they were given removes them from the stack on its next deployment.
   * @default - no rollback triggers (with `stacks`: those of each stack that names none)
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];

  /**
   * How long CloudFormation keeps watching the rollback alarms after every resource is deployed, whole minutes,
   * up to 180: the action succeeds only once this period has passed without an alarm (the stack stays
   * UPDATE_IN_PROGRESS or CREATE_IN_PROGRESS meanwhile), so the action's `timeout` must be longer.
   * @default - no monitoring period (CloudFormation's 0)
   */
  readonly monitoringTime?: Duration;

  /**
   * Alarms that keep the deployment from starting while one of them is in ALARM, besides every stack's
   * `rollbackAlarms` (which keep it too). Unlike rollback alarms, CloudFormation does not watch them during the
   * operation. At most 20, in the stack's account and region.
   * @default - none: only the rollback alarms are checked before deploying
   */
  readonly blockingAlarms?: cloudwatch.IAlarm[];

  /**
   * What the deployment does when a rollback or blocking alarm is in ALARM (or does not exist) right before a stack
   * would be created or its change set made: it never deploys into an alarm; it waits for the alarm, or fails.
   * @default WhenAlarmFiring.WAIT
   */
  readonly whenAlarmFiring?: WhenAlarmFiring;

  /**
   * Give the created deployment role full rights, as aws-cdk-lib's CloudFormation actions do when asked.
   * Ignored when `deploymentRole` is given.
   * @default false
   */
  readonly adminPermissions?: boolean;

  /**
   * Create change sets with nested stacks included, and inspect every nested stack's change set with the
   * safety policy, recursively (the task function may read the change sets of the stacks CloudFormation names
   * `<stackName>-<logical id>-<random>`). Turned off, a nested stack's changes are not seen: a change to a
   * nested stack is then refused by every policy but `SafetyPolicy.allowAll()`, because what it does inside
   * is unknown.
   * @default true
   */
  readonly includeNestedStacks?: boolean;

  /**
   * A stack left in ROLLBACK_COMPLETE (its creation failed; nothing is left in it to keep) is deleted and
   * created again, instead of failing the action with guidance. The task function may then delete this
   * stack, and deletes it only in that state.
   * @default false
   */
  readonly recreateRolledBackStack?: boolean;

  /**
   * Drift-aware change sets (CloudFormation's `DeploymentMode: REVERT_DRIFT`) for a stack that exists: the
   * change set compares the template with the resources' actual state, so it also reverts changes made
   * outside CloudFormation, and gives each change its `ResourceDriftStatus`. A resource whose template now
   * matches its actual state gets a `SyncWithActual` change (metadata only), which every built-in policy
   * allows. Match reverted drift with the rule criterion `driftStatuses` to refuse it or ask a person.
   * @default false
   */
  readonly revertDrift?: boolean;

  /**
   * An output artifact for the change report: when the deployment ends, the action writes into it
   * `report.json` (the status, the verdict, every change with its verdict and rule, up to 200, and the changes
   * not allowed with what they do to their properties, secrets masked) and `report.md` (the same as a page for
   * people). A later action can take it as an input; the pipeline summary says where it is. It is written with
   * CodePipeline's artifact credentials for the job, so the functions get no new rights.
   * @default - no change report
   */
  readonly reportArtifact?: codepipeline.Artifact;

  /**
   * The safety policy that decides whether a change set may be executed.
   * @default SafetyPolicy.denyDestructiveChanges()
   */
  readonly safetyPolicy?: SafetyPolicy;

  /**
   * What happens when the safety policy refuses a change set.
   * @default UnsafeChangeAction.fail()
   */
  readonly onUnsafeChange?: UnsafeChangeAction;

  /**
   * The first poll interval while waiting for CloudFormation; it grows with the time elapsed (a tenth of it),
   * up to 30 seconds in the first hour and a minute after it.
   * @default Duration.seconds(5)
   */
  readonly pollInterval?: Duration;

  /**
   * How long the deployment may take before the workflow gives up and fails the action (CloudFormation
   * carries on with an operation already started). No change set is executed after it, approved or not.
   * @default Duration.hours(2)
   */
  readonly timeout?: Duration;

  /**
   * An S3 input file with more configuration (JSON), for settings too large for CodePipeline's 1,000-character
   * UserParameters. Its keys are those of the workflow's configuration: `templatePath` and
   * `templateConfigurationPath` (paths in the input artifact), `parameterOverrides`, `tags`, `capabilities` and
   * `pollIntervalSeconds`. The action's own properties win over it. Settings that decide safety (the policy, the unsafe-change strategy,
   * stack names, roles, nested-stack inspection, stack deletion, the timeout) come from the action only: a file
   * that sets one fails the deployment with a ConfigurationError naming the key.
   * @default - none
   */
  readonly inputFileBucket?: s3.IBucket;

  /**
   * The key of the S3 input file in `inputFileBucket`.
   * @default - none
   */
  readonly inputFileKey?: string;

  /**
   * The deploy workflow to use.
   * @default - the shared workflow of the action's stack, `DeployStateMachine.of()` of that stack
   */
  readonly deployStateMachine?: DeployStateMachine;
}

/**
 * A CodePipeline action that deploys a CloudFormation stack through a Step Functions workflow.
 *
 * A missing stack is created. An existing one is updated through a change set that the safety policy
 * inspects first: a safe change set is executed and the action succeeds once the update has finished;
 * an unsafe one is deleted and the action fails, naming each offending resource.
 *
 * Pass it to `stage.addAction()` or a stage's `actions` like any other action.
 */
export class StepFunctionsDeployAction extends Construct implements codepipeline.IAction {
  /** The deploy workflow this action runs. */
  public readonly deployStateMachine: DeployStateMachine;
  /** The state machine of the deploy workflow. */
  public readonly stateMachine: sfn.IStateMachine;
  /** The function CodePipeline invokes for this action. */
  public readonly triggerFunction: lambda.IFunction;
  /** The function behind the workflow's Task states. */
  public readonly taskFunction: lambda.IFunction;
  /** The role CloudFormation assumes to deploy the stack. */
  public readonly deploymentRole: iam.IRole;
  /** The full name of the deployed stack (with the environment prefix); with `stacks`, the first one's. */
  public readonly stackName: string;
  /** The full names of the deployed stacks, in the order they are deployed. */
  public readonly stackNames: string[];

  private readonly inner: cpactions.LambdaInvokeAction;
  private readonly createdDeploymentRole?: iam.Role;
  private readonly targetAccountRole?: iam.IRole;
  private readonly inputFileBucket?: s3.IBucket;
  private readonly inputFileKey?: string;
  private readonly hasReport: boolean;
  private readonly environmentName?: string;
  /** The action's key among the approval function's approvers (from its construct path); set with requireApproval only. */
  private readonly approverKey: string;
  private readonly asksForApproval: boolean;

  constructor(scope: Construct, id: string, props: StepFunctionsDeployActionProps) {
    super(scope, id);
    const where = whereOf('StepFunctionsDeployAction', this);
    const input = validateProps(where, this, props);

    this.deployStateMachine = props.deployStateMachine ?? DeployStateMachine.of(this);
    this.stateMachine = this.deployStateMachine.stateMachine;
    this.triggerFunction = this.deployStateMachine.triggerFunction;
    this.taskFunction = this.deployStateMachine.taskFunction;
    const stacks: StackToDeploy[] = props.stacks ?? [{ ...props, stackName: props.stackName!, templatePath: props.templatePath! }];
    this.stackNames = stacks.map((st) => fullStackName(st.stackName, props.environmentName));
    this.stackName = this.stackNames[0];
    this.environmentName = props.environmentName;
    this.inputFileBucket = props.inputFileBucket;
    this.inputFileKey = props.inputFileKey;
    this.hasReport = props.reportArtifact !== undefined;

    this.createdDeploymentRole = props.deploymentRole ? undefined : this.newDeploymentRole(props.adminPermissions);
    this.deploymentRole = props.deploymentRole ?? this.createdDeploymentRole!;
    if (this.createdDeploymentRole && !props.adminPermissions && stacks.some((st) => !st.deploymentRole)) {
      warnWithoutPermissions(where, this, this.createdDeploymentRole, this.stackNames);
    }

    const { policy, strategy } = bindSafety(where, this, this.taskFunction, props, props.stacks ? ['units'] : []);
    this.approverKey = createHash('sha256').update(this.node.path).digest('hex').slice(0, 8);
    this.asksForApproval = strategy?.approvalTimeoutSeconds !== undefined; // a person decides

    const config = this.actionConfig(props, stacks[0], policy, strategy);
    checkUserParametersLength(where, config, props.stacks
      ? 'give the stacks CDK\'s template file names (<stackName>.template.json), which take only the stack\'s name, move ' +
        'parameters and tags into template configuration files in the artifact, or split the unit'
      : 'move parameters, tags or rules into an S3 input file (inputFileBucket + inputFileKey) or a template configuration file in the artifact');

    this.inner = this.lambdaInvokeAction(props, input, config);

    this.grantStacks(props, stacks, strategy);
    this.grantRollbackAlarms(props);
    this.targetAccountRole = props.targetAccountRole;
    policy.grantRights();
    strategy?.grantRights();
  }

  /** The CloudFormation service role the action creates when none is given, with every right only if asked. */
  private newDeploymentRole(adminPermissions?: boolean): iam.Role {
    const role = new iam.Role(this, 'DeploymentRole', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: `CloudFormation service role for stack ${this.stackNames.join(', ')}`.slice(0, 1000),
    });
    if (adminPermissions) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['*'], resources: ['*'] }));
      suppressNag(role.node.tryFindChild('DefaultPolicy'), [{
        id: 'AwsSolutions-IAM5',
        reason: 'adminPermissions: true was set explicitly: CloudFormation may change any resource of this stack',
      }]);
    }
    return role;
  }

  /** The workflow's configuration of this action, as UserParameters carries it. */
  private actionConfig(
    props: StepFunctionsDeployActionProps, first: StackToDeploy, policy: PolicyBinding, strategy: StrategyBinding | undefined,
  ): ActionConfig {
    const { stackName: firstName, ...firstStack } = stackConfig(first);
    return {
      v: CONFIG_VERSION,
      ...(props.stacks ? { stacks: props.stacks.map(unitStackConfig) } : { stackName: firstName }),
      ...(props.environmentName ? { environmentName: props.environmentName } : {}),
      ...(props.stacks ? rollbackConfig(props) : firstStack),
      ...blockingConfig(props),
      roleArn: this.deploymentRole.roleArn,
      ...(props.targetAccountRole ? { assumeRoleArn: props.targetAccountRole.roleArn } : {}),
      // Written even when it is the default: what the action was synthesized with is what it deploys with.
      policy: policy.document,
      // With requireApproval, the action's approver key: the approval function answers its approvers only for it.
      ...(strategy ? {
        onUnsafe: strategy.document.type === 'requireApproval' ? { ...strategy.document, approvers: this.approverKey } : strategy.document,
      } : {}),
      ...timingConfig(props),
      ...(props.inputFileBucket ? { s3Bucket: props.inputFileBucket.bucketName, stateMachineFile: props.inputFileKey } : {}),
      ...(props.includeNestedStacks === false ? { includeNestedStacks: false } : {}),
      ...(props.recreateRolledBackStack ? { recreateRolledBackStack: true } : {}),
      ...(props.revertDrift ? { revertDrift: true } : {}),
      ...(props.reportArtifact ? { report: true } : {}),
      // Events of a target account's stacks never reach the workflow's rule: such a deployment polls.
      ...(this.deployStateMachine.stackEventRule && !props.targetAccountRole ? { stackEvents: true } : {}),
    } as ActionConfig;
  }

  /** What CodePipeline runs: a Lambda invoke action of the trigger function, with the configuration as UserParameters. */
  private lambdaInvokeAction(
    props: StepFunctionsDeployActionProps, input: codepipeline.Artifact, config: ActionConfig,
  ): cpactions.LambdaInvokeAction {
    return new cpactions.LambdaInvokeAction({
      actionName: props.actionName,
      lambda: this.triggerFunction,
      inputs: [input],
      ...(props.reportArtifact ? { outputs: [props.reportArtifact] } : {}),
      userParametersString: Stack.of(this).toJsonString(config),
      variablesNamespace: props.variablesNamespace,
      runOrder: props.runOrder,
      role: props.role,
    });
  }

  /**
   * The task function's rights on the stacks: through the target account role when there is one (its rights are
   * that role's own), else each stack by name with its deployment role. A new stack (blue/green) is named
   * <stackName>-<suffix>; nested stacks are named <stackName>-<id>-<random>.
   */
  private grantStacks(props: StepFunctionsDeployActionProps, stacks: StackToDeploy[], strategy: StrategyBinding | undefined): void {
    if (props.targetAccountRole) {
      this.deployStateMachine._grantAssumeRole(props.targetAccountRole);
    } else {
      stacks.forEach((st, i) => this.deployStateMachine._grantDeployment({
        owner: this.node.path,
        stackName: this.stackNames[i],
        deploymentRole: st.deploymentRole ?? this.deploymentRole,
        ...(strategy?.newStack ? { newStack: strategy.newStack } : {}),
        nestedStacks: props.includeNestedStacks !== false,
        deleteRolledBack: !!props.recreateRolledBackStack,
      }));
    }
  }

  /**
   * The task function reads the rollback alarms (to name the one that rolled a deployment back). The deployment role
   * the action creates may read them too: AWS does not say whether CloudFormation reads a stack's rollback alarms with
   * the stack's service role, and without the right a trigger would be missing and every operation rolled back.
   */
  private grantRollbackAlarms(props: StepFunctionsDeployActionProps): void {
    const grantsOf = (alarms: cloudwatch.IAlarm[]) =>
      [...new Map(alarms.map((a) => [a.alarmArn, { arn: a.alarmArn, composite: isComposite(a) }])).values()];
    const rollbackAlarms = [...(props.rollbackAlarms ?? []), ...(props.stacks ?? []).flatMap((st) => st.rollbackAlarms ?? [])];
    const triggers = grantsOf(rollbackAlarms);
    const all = grantsOf([...rollbackAlarms, ...(props.blockingAlarms ?? [])]);
    if (all.length === 0) return;
    this.deployStateMachine._grantAlarmReads(all);
    // Blocking alarms are no triggers: CloudFormation never reads them.
    if (!this.createdDeploymentRole || triggers.length === 0) return;
    const composite = triggers.some((g) => g.composite);
    this.createdDeploymentRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:DescribeAlarms'],
      resources: composite ? ['*'] : triggers.map((g) => g.arn),
    }));
    if (composite) {
      suppressNag(this.createdDeploymentRole.node.tryFindChild('DefaultPolicy'), [{
        id: 'AwsSolutions-IAM5',
        reason: 'A composite rollback alarm: CloudWatch returns composite alarms only to cloudwatch:DescribeAlarms on every alarm (*); read-only',
        appliesTo: ['Resource::*'],
      }]);
    }
  }

  /** The action's properties, as CodePipeline sees them. */
  public get actionProperties(): codepipeline.ActionProperties {
    return this.inner.actionProperties;
  }

  /** Called by the pipeline when the action is added to a stage. */
  public bind(scope: Construct, stage: codepipeline.IStage, options: codepipeline.ActionBindOptions): codepipeline.ActionConfig {
    // The task function reads the input artifact and stages large templates in the artifact bucket.
    this.deployStateMachine._grantArtifactBucket(options.bucket);
    if (this.inputFileBucket && this.inputFileKey) {
      // The trigger reads the input file to start a deployment; the task function reads it again to confirm it.
      for (const fn of [this.triggerFunction, this.taskFunction]) {
        fn.addToRolePolicy(new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [this.inputFileBucket.arnForObjects(this.inputFileKey)],
        }));
        this.inputFileBucket.encryptionKey?.grantDecrypt(fn);
      }
    }
    // Across accounts, CloudFormation reads a staged template (over 51,200 bytes) as the target account's role.
    if (this.targetAccountRole) options.bucket.grantRead(this.targetAccountRole, `${STAGING_PREFIX}/*`);
    return bindInvokeAction(this.deployStateMachine, this.inner, scope, stage, options, 'reads its input artifact from the pipeline\'s artifact bucket' +
      (this.hasReport ? ' and writes its output artifact (the change report) there' : ''));
  }

  /** Creates an EventBridge rule on the action's state changes. */
  public onStateChange(name: string, target?: events.IRuleTarget, options?: events.RuleProps): events.Rule {
    return this.inner.onStateChange(name, target, options);
  }

  /**
   * A reference to one of the action's output variables, for a later action of the pipeline: `StackName`,
   * `Outcome` (`CREATED`, `UPDATED`, `NO_CHANGES`, `DEPLOYED_TO_NEW_STACK`), `Verdict` (`NONE` for a new
   * stack, `ALLOW` or `APPROVED`), `ChangeSetName`, and each output of the deployed stack under its own key
   * (also when there were no changes).
   */
  public variable(variableName: string): string {
    return this.inner.variable(variableName);
  }

  /**
   * A reference to an output variable of one stack of a unit (`stacks`), named as in `stacks`: `<stack>_Outcome`
   * (`CREATED`, `UPDATED`, `NO_CHANGES`), and each output of that stack as `<stack>_<OutputKey>`, where `<stack>`
   * is the stack's full name (with the environment prefix). The unit's own `Outcome` is `DEPLOYED` or `NO_CHANGES`.
   */
  public stackVariable(stackName: string, variableName: string): string {
    // The stack's name as given in `stacks`, exactly: never a stack whose name merely ends the same.
    const full = fullStackName(stackName, this.environmentName);
    if (!this.stackNames.includes(full)) {
      throw new Error(`StepFunctionsDeployAction.stackVariable: ${stackName} is not a stack of this action (${this.stackNames.join(', ')})`);
    }
    return this.inner.variable(`${full}_${variableName}`);
  }

  /**
   * Lets an IAM role (any session of it) or an IAM user approve or reject THIS action's change sets that wait for a
   * decision (`UnsafeChangeAction.requireApproval()`): `lambda:InvokeFunctionUrl` on the deploy workflow's approval
   * function (AWS_IAM auth), which answers for them only on executions of this action (its approver key, in the
   * configuration the execution confirmed with the pipeline job) and records them by their ARN as AWS authenticated them.
   * They get no right on the state machine: with another action's task token they still cannot answer it.
   * Any other principal (a group, an account, a service) is refused: grant a role its members assume.
   */
  public grantApproval(grantee: iam.IGrantable): iam.Grant {
    if (!this.asksForApproval) {
      throw new Error(`${this.node.path}: grantApproval on an action that never asks for approval: ` +
        'set onUnsafeChange to UnsafeChangeAction.requireApproval() (with a policy that can ask)');
    }
    return this.deployStateMachine._grantApprovalOn(grantee, this.approverKey, this.node.path);
  }

  /**
   * Adds a statement to the policy of the deployment role the action created. Returns false, and adds
   * nothing, when you gave the role (`deploymentRole`): manage its policy yourself.
   */
  public addToDeploymentRolePolicy(statement: iam.PolicyStatement): boolean {
    if (!this.createdDeploymentRole) return false;
    return this.createdDeploymentRole.addToPrincipalPolicy(statement).statementAdded;
  }
}

/**
 * The deployment role the action created, left without any permission (no statement, managed policy or attached
 * policy): CloudFormation could change no resource with it, and the first real deployment would fail. Checked once
 * the app is complete (an aspect, after those that change the tree), so that what is added after the constructor
 * (`addToDeploymentRolePolicy()`, grants, managed policies) counts.
 */
function warnWithoutPermissions(where: string, action: Construct, role: iam.Role, stackNames: string[]): void {
  Aspects.of(action).add({
    visit: (node) => {
      if (node !== action || hasPermissions(role)) return;
      // On the role: acknowledged on the action or any scope above it, the warning is not shown.
      Annotations.of(role).addWarningV2('cdk-stepfunctions-deploy-action:deploymentRoleWithoutPermissions',
        `${where}: the CloudFormation service role it created (deploymentRole) has no permissions, so CloudFormation can ` +
        `create or change no resource of ${stackNames.length === 1 ? `stack ${stackNames[0]}` : `stacks ${stackNames.join(', ')}`} ` +
        'and the first deployment fails. Give the role what the template needs with addToDeploymentRolePolicy(...), pass a ' +
        'role of your own as deploymentRole, or set adminPermissions: true (as with aws-cdk-lib\'s CloudFormation actions)');
    },
  }, { priority: AspectPriority.READONLY });
}

/** Whether a role holds any permission: a statement of its default policy, a managed or inline policy, or a policy attached to it. */
function hasPermissions(role: iam.Role): boolean {
  const own = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  if (own && !own.document.isEmpty) return true;
  const stack = Stack.of(role);
  const cfnRole = role.node.defaultChild as iam.CfnRole;
  const listed = (value: unknown) => {
    const resolved = stack.resolve(value);
    return Array.isArray(resolved) && resolved.length > 0;
  };
  if (listed(cfnRole.managedPolicyArns) || listed(cfnRole.policies)) return true;
  // An iam.Policy or iam.ManagedPolicy attached to the role names it among its roles.
  const ref = JSON.stringify(stack.resolve(role.roleName));
  return stack.node.findAll().some((c) => (c instanceof iam.CfnPolicy || c instanceof iam.CfnManagedPolicy) && Stack.of(c) === stack
    && c !== own?.node.defaultChild && (stack.resolve(c.roles) as unknown[] | undefined ?? []).some((r) => JSON.stringify(r) === ref));
}

function capabilitiesOf(stack: { cfnCapabilities?: CfnCapabilities[] }): string[] {
  return (stack.cfnCapabilities ?? []).filter((c) => c !== CfnCapabilities.NONE);
}

/** A stack's own keys of the configuration, empty ones left out. */
function stackConfig(stack: StackToDeploy): StackConfig {
  const nonEmpty = (map?: { [key: string]: string }) => map && Object.keys(map).length > 0;
  return {
    stackName: stack.stackName,
    // The workflow reads paths inside its one input artifact: the ArtifactPath's file name.
    templatePath: stack.templatePath.fileName,
    ...(stack.templateConfiguration ? { templateConfigurationPath: stack.templateConfiguration.fileName } : {}),
    ...(nonEmpty(stack.parameterOverrides) ? { parameterOverrides: stack.parameterOverrides } : {}),
    ...(stack.tags && nonEmpty(stack.tags) ? { tags: stack.tags } : {}),
    ...(capabilitiesOf(stack).length > 0 ? { capabilities: capabilitiesOf(stack) } : {}),
    ...rollbackConfig(stack),
  };
}

/**
 * The configuration's validator checks alarm ARNs; one that is a token (an alarm of this app) is known only at deploy
 * time, when CloudFormation resolves it to an alarm's ARN: it stands for one here.
 */
function knownArns(entry: string | StackConfig): string | StackConfig {
  if (typeof entry === 'string') return entry;
  const { stackName, ...rest } = entry;
  if (!entry.rollbackAlarms) return stackName ? entry : rest as StackConfig;
  return {
    ...(stackName ? { stackName } : {}),
    ...rest,
    rollbackAlarms: entry.rollbackAlarms.map((a) => (Token.isUnresolved(a.arn) ? { ...a, arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:resolved-at-deploy' } : a)),
  } as StackConfig;
}

/** Whether CloudFormation must be told the alarm is a composite alarm: a `CompositeAlarm` of this app. */
function isComposite(alarm: cloudwatch.IAlarm): boolean {
  return alarm instanceof cloudwatch.CompositeAlarm || alarm.node.defaultChild instanceof cloudwatch.CfnCompositeAlarm;
}

/** The blocking alarms and what to do while an alarm fires, as the configuration holds them (left out when not given). */
function blockingConfig(props: StepFunctionsDeployActionProps): Pick<ActionConfig, 'blockingAlarms' | 'whenAlarmFiring'> {
  const alarms: RollbackAlarm[] = (props.blockingAlarms ?? []).map((a) => ({ arn: a.alarmArn, ...(isComposite(a) ? { composite: true } : {}) }));
  return {
    ...(alarms.length > 0 ? { blockingAlarms: alarms } : {}),
    ...(props.whenAlarmFiring ? { whenAlarmFiring: props.whenAlarmFiring } : {}),
  };
}

/** Rollback alarms and monitoring time as the configuration holds them (left out when not given). */
function rollbackConfig(stack: { rollbackAlarms?: cloudwatch.IAlarm[]; monitoringTime?: Duration }): Pick<StackConfig, 'rollbackAlarms' | 'monitoringMinutes'> {
  const alarms: RollbackAlarm[] = (stack.rollbackAlarms ?? []).map((a) => ({ arn: a.alarmArn, ...(isComposite(a) ? { composite: true } : {}) }));
  return {
    ...(alarms.length > 0 ? { rollbackAlarms: alarms } : {}),
    ...(stack.monitoringTime ? { monitoringMinutes: stack.monitoringTime.toMinutes() } : {}),
  };
}

/**
 * What the configuration's validator cannot see in rollback settings: a monitoring time in whole minutes within
 * CloudFormation's range, at most 5 alarms, and alarms of the account and region the stack is deployed to.
 */
function rollbackProblems(
  where: string, at: string, scope: Construct, stack: { rollbackAlarms?: cloudwatch.IAlarm[]; monitoringTime?: Duration },
  prop = 'rollbackAlarms', max = MAX_ROLLBACK_ALARMS,
): void {
  const time = stack.monitoringTime;
  if (time && !time.isUnresolved()) {
    const seconds = time.toSeconds({ integral: false });
    if (seconds % 60 !== 0 || seconds < MONITORING_MINUTES.min * 60 || seconds > MONITORING_MINUTES.max * 60) {
      throw new Error(`${where}: ${at}monitoringTime is ${time.toHumanString()}; CloudFormation takes whole minutes from ` +
        `${MONITORING_MINUTES.min} to ${MONITORING_MINUTES.max}: give Duration.minutes(n) with n in that range`);
    }
  }
  const alarms = stack.rollbackAlarms ?? [];
  if (alarms.length > max) {
    throw new Error(`${where}: ${at}${prop} holds ${alarms.length} alarms; ` + (prop === 'rollbackAlarms'
      ? `CloudFormation takes at most ${max} rollback triggers: combine alarms into a CompositeAlarm and give that`
      : `the action takes at most ${max}: combine alarms into a CompositeAlarm and give that`));
  }
  const here = Stack.of(scope);
  alarms.forEach((alarm, i) => {
    const fromArn = Token.isUnresolved(alarm.alarmArn) ? undefined : here.splitArn(alarm.alarmArn, ArnFormat.COLON_RESOURCE_NAME);
    const account = fromArn?.account ?? alarm.env.account;
    const region = fromArn?.region ?? alarm.env.region;
    const differs = (a: string | undefined, b: string) => a !== undefined && !Token.isUnresolved(a) && !Token.isUnresolved(b) && a !== b;
    if (differs(account, here.account) || differs(region, here.region)) {
      throw new Error(`${where}: ${at}${prop}[${i}] is an alarm of account ${account}, region ${region}; the deployment reads ` +
        `alarms of the stack's own account and region (${here.account}, ${here.region}): give an alarm there`);
    }
  });
}

/** A unit's stack in the configuration: its name only when everything else is the default (UserParameters are short). */
function unitStackConfig(stack: StackToDeploy): string | StackConfig {
  const entry: StackConfig = {
    ...stackConfig(stack),
    ...(stack.parameterOutputs && Object.keys(stack.parameterOutputs).length > 0 ? { parameterOutputs: stack.parameterOutputs } : {}),
    ...(stack.dependsOn && stack.dependsOn.length > 0 ? { dependsOn: stack.dependsOn } : {}),
    ...(stack.deploymentRole ? { roleArn: stack.deploymentRole.roleArn } : {}),
  };
  const { stackName, templatePath, ...rest } = entry;
  return templatePath === defaultTemplatePath(stackName) && Object.keys(rest).length === 0 ? stackName : entry;
}

/**
 * What only the props can get wrong (which props go together, paths that are `ArtifactPath`s of one artifact), then
 * the configuration they make, with the functions' own validator, before anything is made. Returns the action's
 * input artifact, the one every `ArtifactPath` of the action is in.
 */
function validateProps(where: string, scope: Construct, props: StepFunctionsDeployActionProps): codepipeline.Artifact {
  if (!props.stacks && (props.stackName === undefined || props.templatePath === undefined)) {
    const missing = props.stackName === undefined && props.templatePath === undefined ? 'stackName and templatePath'
      : props.stackName === undefined ? 'stackName' : 'templatePath';
    throw new Error(`${where}: give ${missing}: one stack takes stackName and templatePath (an ArtifactPath: ` +
      'artifact.atPath(\'template.json\')), as CloudFormationCreateUpdateStackAction does; several stacks reviewed as one unit ' +
      'take stacks instead');
  }
  props.stacks?.forEach((stack, i) => {
    if (Token.isUnresolved(stack.stackName)) throw new Error(`${where}: stacks[${i}]: stack names of a unit must be known at synth, not tokens`);
  });
  if (props.targetAccountRole && !props.deploymentRole) {
    throw new Error(`${where}: with targetAccountRole, give deploymentRole too: a CloudFormation service role of the target account`);
  }
  if (props.deploymentRole && props.adminPermissions) {
    throw new Error(`${where}: adminPermissions applies to the role the action creates; leave it out when you give deploymentRole`);
  }
  if (!!props.inputFileBucket !== !!props.inputFileKey) {
    throw new Error(`${where}: give inputFileBucket and inputFileKey together`);
  }
  validateTiming(where, props);
  rollbackProblems(where, '', scope, props);
  props.stacks?.forEach((stack, i) => rollbackProblems(where, `stacks[${i}]: `, scope, stack));
  rollbackProblems(where, '', scope, { rollbackAlarms: props.blockingAlarms }, 'blockingAlarms', MAX_BLOCKING_ALARMS);
  const withAlarms = !!props.rollbackAlarms?.length || !!props.stacks?.some((st) => st.rollbackAlarms?.length) || !!props.blockingAlarms?.length;
  if (withAlarms && props.targetAccountRole) {
    throw new Error(`${where}: rollbackAlarms and blockingAlarms are not available with targetAccountRole yet: the workflow reads alarms of its own ` +
      'account only; deploy to that account with a workflow there, or leave rollbackAlarms out');
  }
  const paths = artifactPathsOf(props);
  for (const [key, value] of paths) {
    // An ArtifactPath by its shape: an app may hold two copies of aws-cdk-lib, whose classes differ.
    const path = value as Partial<codepipeline.ArtifactPath> | string | undefined;
    if (typeof path !== 'object' || path === null || typeof path.fileName !== 'string' || !path.artifact) {
      throw new Error(`${where}: ${key} must be an ArtifactPath: artifact.atPath('${typeof path === 'string' ? path : 'template.json'}')`);
    }
  }
  checkConfig(where, settingsOf(props));
  return inputArtifactOf(where, paths);
}

/** Every `ArtifactPath` the props give, by the prop that gives it (a unit's stack always has its templatePath). */
function artifactPathsOf(props: StepFunctionsDeployActionProps): [string, codepipeline.ArtifactPath][] {
  const paths: [string, codepipeline.ArtifactPath | undefined, boolean][] = [
    ['templatePath', props.templatePath, false], ['templateConfiguration', props.templateConfiguration, false],
    ...(Array.isArray(props.stacks) ? props.stacks : []).flatMap((st, i): [string, codepipeline.ArtifactPath | undefined, boolean][] =>
      [[`stacks[${i}].templatePath`, st.templatePath, true], [`stacks[${i}].templateConfiguration`, st.templateConfiguration, false]]),
  ];
  return paths.filter(([, path, required]) => required || path !== undefined).map(([key, path]) => [key, path!]);
}

/**
 * The one artifact every `ArtifactPath` of the action is in. aws-cdk-lib's CloudFormation actions declare each path's
 * artifact as an input, because CloudFormation reads `<artifact>::<file>`; the workflow reads the files of the job's
 * one input artifact (its configuration holds paths inside it), so paths in two artifacts are refused here.
 */
function inputArtifactOf(where: string, given: [string, codepipeline.ArtifactPath][]): codepipeline.Artifact {
  const [firstKey, first] = given[0];
  const same = (a: codepipeline.Artifact, b: codepipeline.Artifact) => a === b || (a.artifactName !== undefined && a.artifactName === b.artifactName);
  const other = given.find(([, path]) => !same(path.artifact, first.artifact));
  if (other) {
    const name = (a: codepipeline.Artifact) => a.artifactName ?? 'an unnamed artifact';
    throw new Error(`${where}: every ArtifactPath of the action must be in one artifact, its input: ${firstKey} is in ` +
      `${name(first.artifact)}, ${other[0]} in ${name(other[1].artifact)} (a different artifact). The deploy workflow reads one input ` +
      'artifact: put the templates and their configuration files in one artifact (a build action can combine them)');
  }
  return first.artifact;
}

/**
 * The configuration's keys that the props decide on their own, as the action writes them (a unit's stacks, their
 * names, paths, parameters, tags and capabilities; the environment; the timing), for the validator at synth. A
 * stack's own props given beside `stacks` are kept, for the validator to refuse.
 */
function settingsOf(props: StepFunctionsDeployActionProps): object {
  const { stackName, parameterOverrides, tags } = props;
  // The workflow's configuration holds paths inside the input artifact: the ArtifactPaths' file names.
  const templatePath = props.templatePath?.fileName;
  const templateConfigurationPath = props.templateConfiguration?.fileName;
  const capabilities = props.cfnCapabilities && capabilitiesOf(props);
  const own = { stackName, templatePath, templateConfigurationPath, parameterOverrides, tags, capabilities };
  // Blocking alarms are checked as rollback alarms are: their ARNs, known or standing for one.
  const blocking = knownArns({ stackName: '', rollbackAlarms: blockingConfig(props).blockingAlarms }) as StackConfig;
  return {
    ...(props.stacks ? { stacks: Array.isArray(props.stacks) ? props.stacks.map(unitStackConfig).map(knownArns) : props.stacks } : {}),
    ...(knownArns({ stackName: '', ...rollbackConfig(props) }) as StackConfig),
    ...(blocking.rollbackAlarms ? { blockingAlarms: blocking.rollbackAlarms } : {}),
    ...(props.whenAlarmFiring ? { whenAlarmFiring: props.whenAlarmFiring } : {}),
    ...Object.fromEntries(Object.entries(own).filter(([, value]) => value !== undefined)),
    ...(props.environmentName ? { environmentName: props.environmentName } : {}),
    ...(props.recreateRolledBackStack ? { recreateRolledBackStack: true } : {}),
    ...timingConfig(props),
  };
}
