import { ArnFormat, Aws, Duration, Lazy, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { IConstruct } from 'constructs';
import { ApprovalFunction } from './approval-function';
import { deployGraph } from './deploy-graph';
import { DeployTaskFunction } from './deploy-task-function';
import { reviewSessionPolicy } from './review-session';
import { StackEventFunction } from './stack-event-function';
import { globMatches } from '../policy/glob';
import { suppressNag } from '../private/nag';
import { ANY_ACTION, ENV, STAGING_PREFIX } from '../shared/contract';
import { CHANGE_SET_PREFIX, NEW_STACK_ID_LENGTH, NEW_STACK_SUFFIX_PREFIX } from '../shared/naming';
import { WAIT_RECORD } from '../shared/wait-record';
import { TriggerFunction } from '../trigger/trigger-function';

/** Properties of a `DeployStateMachine`. */
export interface DeployStateMachineProps {
  /**
   * A name for the state machine.
   * @default - a name CloudFormation generates
   */
  readonly stateMachineName?: string;

  /**
   * The longest an execution may run. Each action also has its own, shorter `timeout`, which the
   * workflow enforces while it polls; this is the backstop. CodePipeline gives a Lambda invoke action
   * 24 hours, so it must stay below that.
   * @default Duration.hours(23)
   */
  readonly executionTimeout?: Duration;

  /**
   * Where the state machine logs (level ERROR, without execution data).
   * @default - a new log group kept for one year
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * Wake waiting deployments on CloudFormation's stack status events (an EventBridge rule on the deployed stacks, a
   * small function and a DynamoDB table of waits), with a safety poll every 15 minutes in case an event is lost.
   * Set false to poll the stack instead, as a cross-account deployment always does.
   * @default true
   */
  readonly stackEvents?: boolean;
}

/**
 * The deploy workflow: the state machine, its task function and the trigger function that connects
 * it to CodePipeline. One is shared by every `StepFunctionsDeployAction` of a stack by default
 * (see `DeployStateMachine.of()`), so adding actions adds no functions or state machines.
 */
export class DeployStateMachine extends Construct {
  /**
   * The stack's shared deploy workflow, created on first use.
   */
  public static of(scope: IConstruct): DeployStateMachine {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(SINGLETON_ID);
    if (existing instanceof DeployStateMachine) return existing;
    if (existing) throw new Error(`DeployStateMachine.of: ${stack.node.path} already has a construct named ${SINGLETON_ID} that is not a DeployStateMachine`);
    return new DeployStateMachine(stack, SINGLETON_ID);
  }

  /** The stacks whose prepared change sets the task function reviews in this account, with where their ARNs point. */
  /** The stacks of the pipeline's account whose prepared change sets steps review: where, and which step (for messages). */
  private readonly reviewedStacks: { name: string; changeSetName: string; at: (name: string) => string; region?: string; owner: string }[] = [];
  /** The roles the task function assumes for deployments, and those it assumes for reviews only. */
  private readonly targetRoles: string[] = [];
  private readonly reviewRoles: { roleArn: string; stacks: string[] }[] = [];

  /** The state machine that runs each deployment. */
  public readonly stateMachine: sfn.StateMachine;
  /** The function behind every Task state of the state machine. */
  public readonly taskFunction: lambda.Function;
  /** The function CodePipeline invokes: it starts executions and reports their result to the job. */
  public readonly triggerFunction: lambda.Function;
  /** Where a wait for a stack operation leaves its task token for the stack's status events (unless `stackEvents` is false). */
  public readonly waitTable?: dynamodb.Table;
  /** The EventBridge rule on the deployed stacks' status events (unless `stackEvents` is false). */
  public readonly stackEventRule?: events.Rule;
  /**
   * The function approvers answer a deployment waiting for approval through (its URL): it answers only for an
   * approver granted on the action that deployment is for (`grantApproval`), and records them as AWS authenticated them.
   */
  public readonly approvalFunction: lambda.Function;
  /** The approval function's URL (AWS_IAM auth: requests signed with SigV4 only), which the approval message names. */
  public readonly approvalUrl: lambda.FunctionUrl;

  private readonly grants: DeploymentGrant[] = [];
  /** Who may decide on which action's approvals: the action's approver key, or every action's (`*`). */
  private readonly approvers: { key: string; arn: string; owner: string }[] = [];
  private readonly deploymentRoles: iam.IRole[] = [];
  /** The rollback alarms of the actions that run this workflow, which the task function reads. */
  private readonly rollbackAlarms: { arn: string; composite: boolean }[] = [];
  private readonly artifactBuckets = new Set<s3.IBucket>();
  private readonly pipelines = new Set<codepipeline.IPipeline>();
  private readonly functionRoles: iam.IRole[];

  constructor(scope: Construct, id: string, props: DeployStateMachineProps = {}) {
    super(scope, id);
    const executionTimeout = props.executionTimeout ?? Duration.hours(23);
    if (!executionTimeout.isUnresolved() && executionTimeout.toMinutes({ integral: false }) >= 24 * 60) {
      throw new Error('DeployStateMachine: executionTimeout must be below 24 hours, CodePipeline\'s limit for a Lambda invoke action');
    }

    const { taskRole, triggerRole, taskFunction, triggerFunction } = this.functions();
    this.taskFunction = taskFunction;
    this.triggerFunction = triggerFunction;
    ({ waitTable: this.waitTable, stateMachine: this.stateMachine } = this.workflow(props, executionTimeout, taskFunction));

    this.triggerFunction.addEnvironment(ENV.stateMachineArn, this.stateMachine.stateMachineArn);
    this.taskFunction.addEnvironment(ENV.urlSuffix, Aws.URL_SUFFIX);
    this.stateMachine.grantStartExecution(this.triggerFunction);
    this.stateMachine.grantExecution(this.triggerFunction, 'states:DescribeExecution', 'states:GetExecutionHistory');
    this.functionRoles = [triggerRole.role, taskRole.role];
    // Both functions ask CodePipeline about the job they act for; GetJobDetails has no resource-level form.
    for (const role of this.functionRoles) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['codepipeline:GetJobDetails'], resources: ['*'] }));
    }
    this.grantCallerHistory(taskRole.role);

    this.stackEventRule = this.waitTable ? this.stackEvents(this.waitTable) : undefined;
    ({ approvalFunction: this.approvalFunction, approvalUrl: this.approvalUrl } = this.approvals());
    this.node.addValidation({
      validate: () => [
        ...this.sharedStacks(), ...this.deployedAndReviewed(), ...this.overlappingGrants(), ...this.roleProblems(), ...this.approverProblems(),
      ],
    });
    this.suppressNagFindings(taskRole.role, triggerRole.role);
  }

  /**
   * Lets the task function read rollback alarms (cloudwatch:DescribeAlarms) to name the alarm that rolled a deployment
   * back: those alarms only, by their ARNs. CloudWatch returns a composite alarm only to a DescribeAlarms permission
   * on every alarm (`*`, CloudWatch's permissions reference): with a composite alarm, the statement has `*`, still
   * only that read-only action.
   * @internal
   */
  public _grantAlarmReads(alarms: { arn: string; composite: boolean }[]): void {
    if (alarms.length === 0) return;
    if (this.rollbackAlarms.length === 0) {
      const resources = () => (this.rollbackAlarms.some((a) => a.composite) ? ['*'] : unique(this.rollbackAlarms.map((a) => a.arn)));
      this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
        sid: 'ReadRollbackAlarms',
        actions: ['cloudwatch:DescribeAlarms'],
        resources: Lazy.list({ produce: resources }),
      }));
    }
    if (alarms.some((a) => a.composite) && !this.rollbackAlarms.some((a) => a.composite)) {
      suppressNag(this.taskFunction.role?.node.tryFindChild('DefaultPolicy'), [{
        id: 'AwsSolutions-IAM5',
        reason: 'A composite rollback alarm: CloudWatch returns composite alarms only to cloudwatch:DescribeAlarms on every alarm (*); ' +
          'the statement allows that read-only action alone',
        appliesTo: ['Resource::*'],
      }]);
    }
    this.rollbackAlarms.push(...alarms);
  }

  /**
   * Lets the task function deploy one more stack through its CloudFormation service role: the stack by its
   * exact name, the blue/green stacks of its action by a pattern that fits only their names, and its nested
   * stacks for reading their change sets only. CloudFormation authorizes every change set action against the
   * stack (the Service Authorization Reference lists no changeSet resource for them), so the change sets are
   * narrowed by their name (`cloudformation:ChangeSetName`: this library's prefix). The stacks share one statement
   * to read them and act on their change sets, and one iam:PassRole statement; creating a stack or a change set is
   * allowed per deployment role, only with that role (`cloudformation:RoleArn`) and only on the stacks of the
   * actions that deploy with it, so one action's role never serves another action's stack.
   * @internal
   */
  public _grantDeployment(grant: DeploymentGrant): void {
    if (this.grants.length === 0) this.grantDeployedStacks();
    const role = grant.deploymentRole;
    if (!this.deploymentRoles.includes(role)) this.grantCreateWithRole(role);
    if (grant.nestedStacks && !this.grants.some((g) => g.nestedStacks)) {
      // CloudFormation names nested stacks <parent>-<logical id>-<random>; their change sets are only read.
      this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
        sid: 'ReadNestedChangeSets',
        actions: ['cloudformation:DescribeChangeSet'],
        resources: Lazy.list({ produce: () => this.stackArns(this.grants.filter((g) => g.nestedStacks).map((g) => `${g.stackName}-*`)) }),
      }));
    }
    if (grant.deleteRolledBack && !this.grants.some((g) => g.deleteRolledBack)) {
      // Only the stacks whose actions opted in (recreateRolledBackStack); the task deletes ROLLBACK_COMPLETE stacks only.
      this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
        sid: 'DeleteRolledBackStacks',
        actions: ['cloudformation:DeleteStack'],
        resources: Lazy.list({ produce: () => this.stackArns(this.grants.filter((g) => g.deleteRolledBack).map((g) => g.stackName)) }),
      }));
    }
    this.grants.push(grant);
    this.deploymentRoles.push(grant.deploymentRole);
  }

  /**
   * The statements all deployed stacks share, added with the first: read the stacks and act on this library's
   * change sets of them, and pass the deployment roles to CloudFormation only.
   */
  private grantDeployedStacks(): void {
    const stack = Stack.of(this);
    // The key holds the name a call gives: a name, or a change set's ARN (its name follows `changeSet/`).
    const ownChangeSets = {
      'cloudformation:ChangeSetName': [
        `${CHANGE_SET_PREFIX}*`,
        stack.formatArn({ service: 'cloudformation', resource: 'changeSet', resourceName: `${CHANGE_SET_PREFIX}*/*` }),
      ],
    };
    this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
      sid: 'DeployTargetStacks',
      actions: [
        'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:DescribeChangeSet',
        'cloudformation:ExecuteChangeSet', 'cloudformation:DeleteChangeSet',
      ],
      resources: Lazy.list({ produce: () => this.stackArns(this.grants.flatMap(writableStacks)) }),
      // IfExists: DescribeStacks and DescribeStackEvents have no change set name.
      conditions: { StringLikeIfExists: ownChangeSets },
    }));
    this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
      sid: 'PassDeploymentRoles',
      actions: ['iam:PassRole'],
      resources: Lazy.list({ produce: () => unique(this.deploymentRoles.map((r) => r.roleArn)) }),
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    }));
  }

  /** Creating a stack or a change set with a deployment role: only with that role, on the stacks of the actions that deploy with it. */
  private grantCreateWithRole(role: iam.IRole): void {
    // The task always gives RoleARN: a call without it (CloudFormation would reuse the stack's last role) is refused.
    this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
      sid: `CreateWithDeploymentRole${new Set(this.deploymentRoles).size + 1}`,
      actions: ['cloudformation:CreateStack', 'cloudformation:CreateChangeSet'],
      resources: Lazy.list({ produce: () => this.stackArns(this.grants.filter((g) => g.deploymentRole === role).flatMap(writableStacks)) }),
      conditions: { ArnEquals: { 'cloudformation:RoleArn': role.roleArn } },
    }));
  }

  /** The ARNs of the stacks of these names (or name patterns), each once. */
  private stackArns(names: string[]): string[] {
    const stack = Stack.of(this);
    return unique(names.map((name) => stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${name}/*` })));
  }

  /**
   * Lets both functions confirm the jobs of a pipeline with CodePipeline (ListActionExecutions on that
   * pipeline only): a job of any other pipeline is refused. In a policy of the pipeline's own, because the
   * pipeline refers to the trigger function.
   * @internal
   */
  public _grantPipeline(pipeline: codepipeline.IPipeline): void {
    if (this.pipelines.has(pipeline)) return;
    this.pipelines.add(pipeline);
    new iam.Policy(pipeline, `StepFunctionsDeployJobs${Names.uniqueId(this).slice(-8)}`, {
      roles: this.functionRoles,
      statements: [new iam.PolicyStatement({ actions: ['codepipeline:ListActionExecutions'], resources: [pipeline.pipelineArn] })],
    });
  }

  /** The task and trigger functions, each with a role and a log group of its own. */
  private functions() {
    const taskRole = functionRole(this, 'TaskFunction');
    const taskFunction = new DeployTaskFunction(this, 'TaskFunction', {
      description: 'StepFunctionsDeployAction: the deploy workflow\'s tasks (CloudFormation and S3 calls)',
      timeout: Duration.seconds(60),
      memorySize: 512,
      role: taskRole.role,
      logGroup: taskRole.logGroup,
      tracing: lambda.Tracing.ACTIVE,
    });
    const triggerRole = functionRole(this, 'TriggerFunction');
    const triggerFunction = new TriggerFunction(this, 'TriggerFunction', {
      description: 'StepFunctionsDeployAction: starts the deploy workflow and reports it to CodePipeline',
      timeout: Duration.seconds(30),
      memorySize: 256,
      role: triggerRole.role,
      logGroup: triggerRole.logGroup,
      tracing: lambda.Tracing.ACTIVE,
    });
    return { taskRole, triggerRole, taskFunction, triggerFunction };
  }

  /** The state machine, its log group, and the table where waits for stack events are recorded (unless turned off). */
  private workflow(props: DeployStateMachineProps, executionTimeout: Duration, taskFunction: lambda.IFunction) {
    // Where a wait for a stack operation leaves its task token for the stack's status events; records expire.
    const waitTable = props.stackEvents !== false ? new dynamodb.Table(this, 'StackWaits', {
      partitionKey: { name: WAIT_RECORD.key, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: WAIT_RECORD.expiresAt,
      removalPolicy: RemovalPolicy.DESTROY,
    }) : undefined;
    const logGroup = props.logGroup ?? new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR });
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(deployGraph(this, taskFunction, waitTable)),
      timeout: executionTimeout,
      tracingEnabled: true,
      // Every event, without the state data: the data holds no secrets, but it is the users' configuration.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    return { waitTable, stateMachine };
  }

  /**
   * The task function reads its caller's history before any task that writes (tasks/caller.ts): only this state
   * machine's executions, which is what binds the function to it (its ARN cannot be in the function's environment).
   * In a policy of its own: the state machine refers to the task function, so the function's default policy cannot
   * refer back.
   */
  private grantCallerHistory(taskRole: iam.IRole): void {
    const history = new iam.Policy(this, 'TaskFunctionExecutionHistory', {
      roles: [taskRole],
      statements: [new iam.PolicyStatement({
        actions: ['states:GetExecutionHistory'],
        resources: [Stack.of(this).formatArn({
          service: 'states',
          resource: 'execution',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: `${this.stateMachine.stateMachineName}:*`,
        })],
      })],
    });
    suppressNag(history, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The executions of this one state machine, whose names come from pipeline job ids: before any task that writes, the task function reads the calling execution\'s history to confirm that the call is that running execution\'s own',
      appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:states:.*:execution:.*:\\*$/g' }],
    }]);
  }

  /**
   * CloudFormation's status events of the stacks this workflow deploys (their names, and the blue/green names'
   * fixed start) go to a small function that wakes the execution waiting for that operation. It may only read those
   * stacks (an event is believed only when CloudFormation no longer shows the stack in progress), update the wait
   * records and send task success to this state machine; it decides nothing.
   */
  private stackEvents(waitTable: dynamodb.Table): events.Rule {
    const { role, handler } = this.stackEventFunction(waitTable);
    const rule = this.stackStatusRule();
    rule.addTarget(new targets.LambdaFunction(handler, { retryAttempts: 4, maxEventAge: Duration.hours(1) }));
    this.suppressStackEventFindings(rule, waitTable, handler, role);
    return rule;
  }

  /** The function that wakes waiting deployments, with its role: it may update the wait records and read the deployed stacks only. */
  private stackEventFunction(waitTable: dynamodb.Table): { role: iam.IRole; handler: lambda.Function } {
    const { role, logGroup } = functionRole(this, 'StackEventFunction');
    const handler = new StackEventFunction(this, 'StackEventFunction', {
      description: 'StepFunctionsDeployAction: wakes a deployment waiting for its stack operation on CloudFormation\'s status events',
      timeout: Duration.seconds(30),
      memorySize: 256,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { [ENV.waitTable]: waitTable.tableName },
    });
    waitTable.grant(handler, 'dynamodb:UpdateItem');
    this.stateMachine.grant(handler, 'states:SendTaskSuccess');
    const stack = Stack.of(this);
    handler.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadDeployedStacks',
      actions: ['cloudformation:DescribeStacks'],
      resources: Lazy.list({
        produce: () => {
          const names = unique(this.grants.flatMap(writableStacks));
          return (names.length > 0 ? names : ['-none-']).map((name) =>
            stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${name}/*` }));
        },
      }),
    }));
    // An event the stack does not show yet fails the invocation: Lambda invokes it again (EventBridge invokes it
    // asynchronously), a minute and then two later.
    handler.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });
    return { role, handler };
  }

  /** Why the stack events' rule, table, function and role go without what cdk-nag asks for. */
  private suppressStackEventFindings(rule: events.Rule, waitTable: dynamodb.Table, handler: lambda.Function, role: iam.IRole): void {
    suppressNag(rule, [{
      id: 'Serverless-EventBusDLQ',
      reason: 'An event EventBridge cannot deliver after its retries only leaves the deployment to its safety poll, which reads the stack itself',
    }]);
    suppressNag(waitTable, [{
      id: 'AwsSolutions-DDB3',
      reason: 'The table holds wait records that expire after two days and matter only while a deployment waits: nothing to restore',
    }]);
    suppressNag(handler, [{
      id: 'Serverless-LambdaDLQ',
      reason: 'Invoked by EventBridge, which retries; an event it never delivers only leaves the deployment to its safety poll',
    }]);
    suppressNag(handler.node.tryFindChild('EventInvokeConfig'), [{
      id: 'Serverless-LambdaAsyncFailureDestination',
      reason: 'An event the function still refuses after Lambda\'s retries only leaves the deployment to its safety poll, which reads the stack itself',
    }]);
    suppressNag(role.node.tryFindChild('DefaultPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions',
      appliesTo: ['Resource::*'],
    }, {
      id: 'AwsSolutions-IAM5',
      reason: 'DescribeStacks on the deployed stacks by name: a stack ARN ends in an id CloudFormation draws at creation',
      appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:cloudformation:.*:stack\\/.*\\/\\*$/g' }],
    }]);
  }

  /** The EventBridge rule that matches the status events of the stacks this workflow deploys, and only those. */
  private stackStatusRule(): events.Rule {
    const stack = Stack.of(this);
    const stackIdPrefix = (name: string) => `arn:${stack.partition}:cloudformation:${stack.region}:${stack.account}:stack/${name}`;
    return new events.Rule(this, 'StackStatusEvents', {
      description: 'StepFunctionsDeployAction: status changes of the stacks the deploy actions deploy',
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        detail: {
          'stack-id': Lazy.any({
            produce: () => {
              const prefixes = unique(this.grants.flatMap(writableStacks).map((pattern) =>
                (/[*?]/.test(pattern) ? stackIdPrefix(pattern.slice(0, pattern.search(/[*?]/))) : `${stackIdPrefix(pattern)}/`)));
              // A workflow no action uses yet matches nothing.
              return prefixes.length > 0 ? prefixes.map((prefix) => ({ prefix })) : [{ prefix: stackIdPrefix('-none-/') }];
            },
          }),
        },
      },
    });
  }

  /**
   * Two actions that deploy one stack (by its full name, `environmentName` included) would each deploy their own
   * template over the other's. Each action after the first on a stack is named once, with the first.
   */
  private sharedStacks(): string[] {
    const same = this.sameStackName();
    return this.grants.flatMap((grant, i) => {
      const first = this.grants.slice(0, i).find((g) => same(g.stackName, grant.stackName) && g.owner !== grant.owner);
      if (!first) return [];
      return [`stack ${this.synthesizedName(grant.stackName)} is deployed by two actions, ${first.owner} and ${grant.owner}: each would deploy its own ` +
        'template over the other\'s. Deploy a stack with one action (stacks deployed together go in one action\'s stacks), or ' +
        'give one of them another stackName or environmentName'];
    });
  }

  /**
   * An action that deploys a stack which CDK Pipelines deploys too (a step reviews its prepared change sets): each
   * would deploy its own template over the other's. Seen for stacks of the workflow's account and region, by name.
   */
  private deployedAndReviewed(): string[] {
    const same = this.sameStackName();
    return this.reviewedStacks.filter((r) => r.region === undefined).flatMap((reviewed) => {
      const action = this.grants.find((g) => same(g.stackName, reviewed.name));
      if (!action) return [];
      return [`stack ${this.synthesizedName(reviewed.name)} is deployed by ${action.owner} and by CDK Pipelines, whose change sets ${reviewed.owner} ` +
        'reviews: each would deploy its own template over the other\'s. Deploy the stack one way: remove it from the action ' +
        '(or give the action another stackName or environmentName), or from the CDK Pipelines stage'];
    });
  }

  /**
   * Whether two stack names are one stack's, as they are synthesized: a name that is a token (or holds one, as an
   * environment name that is one does) is compared by the text it resolves to. CloudFormation's stack names are
   * case-sensitive. A name known only at deployment (a parameter's value) is compared as written.
   */
  private sameStackName(): (a: string, b: string) => boolean {
    return (a, b) => a === b || this.synthesizedName(a) === this.synthesizedName(b);
  }

  /** A stack name as it is synthesized, when that is a text; as written otherwise. */
  private synthesizedName(name: string): string {
    if (!Token.isUnresolved(name)) return name;
    const resolved: unknown = Stack.of(this).resolve(name);
    return typeof resolved === 'string' ? resolved : name;
  }

  /** A name pattern of one action that covers another action's stack would let one use the other's rights. */
  private overlappingGrants(): string[] {
    const problems: string[] = [];
    for (const grant of this.grants) {
      for (const pattern of writableStacks(grant).filter((p) => p !== grant.stackName)) {
        for (const other of this.grants) {
          if (other.stackName !== grant.stackName && globMatches(pattern, other.stackName)) {
            problems.push(`the blue/green stacks of ${grant.owner} (${pattern}) would include ${other.stackName}, the stack of ` +
              `${other.owner}: give ${grant.owner} a stackNameSuffix that no other stack name ends with, or rename one of the stacks`);
          }
        }
      }
    }
    return problems;
  }

  /**
   * Lets the task function review the change sets a pipeline prepared for a stack of its own account (CDK
   * Pipelines' stacks): read the stack and its change sets, its nested stacks' change sets, and delete a refused
   * change set of that name only. It can neither create nor execute one there. All such stacks share the statements.
   * @internal
   */
  public _grantReview(stackName: string, changeSetName: string, owner: string, region?: string): void {
    const stack = Stack.of(this);
    const at = (name: string) => stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${name}/*`, ...(region ? { region } : {}) });
    type Reviewed = DeployStateMachine['reviewedStacks'][number];
    const arns = (arnOf: (r: Reviewed) => string, which = (_r: Reviewed) => true) =>
      Lazy.list({ produce: () => unique(this.reviewedStacks.filter(which).map(arnOf)) });
    if (this.reviewedStacks.length === 0) {
      this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
        sid: 'ReadPreparedChangeSets',
        actions: ['cloudformation:DescribeStacks', 'cloudformation:DescribeChangeSet'],
        resources: arns((r) => r.at(r.name)),
      }));
      // CloudFormation names nested stacks <parent>-<logical id>-<random>; their change sets are only read.
      this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
        sid: 'ReadPreparedNestedChangeSets',
        actions: ['cloudformation:DescribeChangeSet'],
        resources: arns((r) => r.at(`${r.name}-*`)),
      }));
    }
    if (!this.reviewedStacks.some((r) => r.changeSetName === changeSetName)) {
      this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
        actions: ['cloudformation:DeleteChangeSet'],
        resources: arns((r) => r.at(r.name), (r) => r.changeSetName === changeSetName),
        conditions: { StringEquals: { 'cloudformation:ChangeSetName': changeSetName } },
      }));
    }
    this.reviewedStacks.push({ name: stackName, changeSetName, at, owner, ...(region ? { region } : {}) });
  }

  /**
   * Lets the task function assume a role of another account for a cross-account deployment (the function's
   * environment lists it: a role it does not list is never assumed).
   * @internal
   */
  public _grantAssumeRole(role: iam.IRole): void {
    this.taskFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [role.roleArn] }));
    if (this.targetRoles.length === 0) {
      this.taskFunction.addEnvironment(ENV.deployRoles, Lazy.string({ produce: () => Stack.of(this).toJsonString(unique(this.targetRoles)) }));
    }
    this.targetRoles.push(role.roleArn);
  }

  /**
   * Lets the task function assume a role of another account to review the change sets prepared there for
   * `stackNames` (the CDK bootstrap deploy role CDK Pipelines prepares them with). The function assumes such a role
   * only with a session policy that lets it read those stacks and their change sets and delete their
   * `PipelineChange`: the role's other rights (creating stacks, passing an administrator role) are out of its
   * reach, whatever a task's input says.
   * @internal
   */
  public _grantReviewRole(role: iam.IRole, stackNames: string[]): void {
    this.taskFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [role.roleArn] }));
    if (this.reviewRoles.length === 0) {
      this.taskFunction.addEnvironment(ENV.reviewRoles, Lazy.string({
        produce: () => Stack.of(this).toJsonString([...this.stacksByReviewRole()]),
      }));
    }
    this.reviewRoles.push({ roleArn: role.roleArn, stacks: stackNames });
  }

  /** Each review role once, with every stack reviewed through it. */
  private stacksByReviewRole(): Map<string, string[]> {
    const byRole = new Map<string, string[]>();
    for (const { roleArn, stacks } of this.reviewRoles) byRole.set(roleArn, unique([...(byRole.get(roleArn) ?? []), ...stacks]));
    return byRole;
  }

  /**
   * A role assumed both to deploy and only to review would lose one use or the other, and a review role's session
   * policy must fit STS's limit: both are refused at synth.
   */
  private roleProblems(): string[] {
    const stack = Stack.of(this);
    // The role's text, the AWS::Partition reference read as the partition given as text; other tokens as they are.
    const key = (arn: string) => {
      const resolved = stack.resolve(arn);
      if (typeof resolved === 'string') return resolved;
      const join = resolved?.['Fn::Join'];
      const parts: unknown[] | undefined = Array.isArray(join) && join[0] === '' && Array.isArray(join[1]) ? join[1] : undefined;
      const partition = (p: unknown) => typeof p === 'object' && (p as { Ref?: string })?.Ref === 'AWS::Partition';
      if (parts?.every((p) => typeof p === 'string' || partition(p))) return parts.map((p) => (typeof p === 'string' ? p : 'aws')).join('');
      return JSON.stringify(resolved);
    };
    const review = new Set(this.reviewRoles.map((r) => key(r.roleArn)));
    const both = unique(this.targetRoles.filter((arn) => review.has(key(arn))).map(key)).map((arn) =>
      `role ${arn} is both a StepFunctionsDeployAction's targetAccountRole and a role a ChangeSetReviewStep reads change sets ` +
      'through (which the task function assumes for reviews only): give the action a role of its own');
    const tooLarge = [...this.stacksByReviewRole()].flatMap(([roleArn, stacks]) => {
      try {
        // Tokens (the partition, a region) counted at the length of the longest value they can take.
        reviewSessionPolicy(roleArn.replace(/\$\{Token\[[^\]]*\]\}/g, 'x'.repeat(14)), stacks);
        return [];
      } catch (e) {
        return [`ChangeSetReviewStep: ${(e as Error).message}`];
      }
    });
    return [...both, ...tooLarge];
  }

  /**
   * Lets an IAM role (its sessions) or user decide on the change sets of EVERY action of this workflow that wait for
   * approval (UnsafeChangeAction.requireApproval()): `lambda:InvokeFunctionUrl` on the approval function, which answers
   * for them on any action's execution. To let them decide on one action only, use that action's `grantApproval`.
   * Approvers get no right on the state machine: a task token answers nothing for them.
   */
  public grantApproval(grantee: iam.IGrantable): iam.Grant {
    return this._grantApprovalOn(grantee, ANY_ACTION, 'DeployStateMachine.grantApproval');
  }

  /**
   * Lets `grantee` (an IAM role, whose sessions count as it, or an IAM user) invoke the approval function's URL, and
   * lists its ARN among the approvers of the action whose configuration carries `key` (`onUnsafe.approvers`).
   * @internal
   */
  public _grantApprovalOn(grantee: iam.IGrantable, key: string, owner: string): iam.Grant {
    const arn = approverArn(grantee);
    if (!arn) {
      throw new Error(`${owner}: ${grantee.grantPrincipal} is not an IAM role or user, so the approval function could not ` +
        'recognise it as the caller AWS authenticates: grant approval to a role (iam.Role, Role.fromRoleArn) or a user (iam.User); ' +
        'for a group, grant each user or a role its members assume');
    }
    if (!this.approvers.some((a) => a.arn === arn && a.key === key)) this.approvers.push({ key, arn, owner });
    // A role or user of another account: the function's resource policy lets it in (aws-cdk-lib adds the AWS_IAM
    // condition); its own account must allow it too.
    const account = grantee.grantPrincipal.principalAccount;
    if (account !== undefined && !Token.isUnresolved(account) && !Token.isUnresolved(Stack.of(this).account) && account !== Stack.of(this).account) {
      return this.approvalFunction.grantInvokeUrl(grantee);
    }
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunctionUrl'],
      resourceArns: [this.approvalFunction.functionArn],
      conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': lambda.FunctionUrlAuthType.AWS_IAM } },
    });
    return grant.success ? grant : this.approvalFunction.grantInvokeUrl(grantee);
  }

  /**
   * The approval function and its URL: it reads this state machine's executions and answers their waits (the only
   * function besides the stack-event one that may). In a policy of its own: the task function names the URL in the
   * approval message, and the state machine refers to the task function.
   */
  private approvals(): { approvalFunction: lambda.Function; approvalUrl: lambda.FunctionUrl } {
    const stack = Stack.of(this);
    const { role, logGroup } = functionRole(this, 'ApprovalFunction');
    const approvalFunction = new ApprovalFunction(this, 'ApprovalFunction', {
      description: 'StepFunctionsDeployAction: an approver\'s decision on a deployment waiting for approval, for the actions they are granted',
      timeout: Duration.seconds(30),
      memorySize: 256,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { [ENV.approvers]: Lazy.string({ produce: () => stack.toJsonString(this.approversByKey()) }) },
    });
    const approvalUrl = approvalFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.taskFunction.addEnvironment(ENV.approvalUrl, approvalUrl.url);
    const decisions = new iam.Policy(this, 'ApprovalFunctionDecisions', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          resources: [stack.formatArn({
            service: 'states', resource: 'execution', arnFormat: ArnFormat.COLON_RESOURCE_NAME, resourceName: `${this.stateMachine.stateMachineName}:*`,
          })],
        }),
        new iam.PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [this.stateMachine.stateMachineArn] }),
      ],
    });
    suppressNag(decisions, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The executions of this one state machine, whose names come from pipeline job ids: the approval function reads the execution an approver names to find the wait and the action it is for',
      appliesTo: [{ regex: '/^Resource::arn:<AWS::Partition>:states:.*:execution:.*:\\*$/g' }],
    }]);
    suppressNag(approvalFunction, [{
      id: 'Serverless-LambdaDLQ',
      reason: 'Invoked synchronously through its URL by an approver, who gets the answer; nothing is queued',
    }]);
    suppressNag(role.node.tryFindChild('DefaultPolicy'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions',
      appliesTo: ['Resource::*'],
    }]);
    return { approvalFunction, approvalUrl };
  }

  /** The approval function's APPROVERS: each key once, with every role or user granted on it. */
  private approversByKey(): [string, string[]][] {
    const byKey = new Map<string, string[]>();
    for (const { key, arn } of this.approvers) byKey.set(key, unique([...(byKey.get(key) ?? []), arn]));
    return [...byKey];
  }

  /** Two actions with one approver key would share their approvers; the function's environment has a limit. */
  private approverProblems(): string[] {
    const owners = new Map<string, Set<string>>();
    for (const { key, owner } of this.approvers) owners.set(key, new Set([...(owners.get(key) ?? []), owner]));
    const shared = [...owners].filter(([key, o]) => key !== ANY_ACTION && o.size > 1).map(([key, o]) =>
      `actions ${[...o].join(' and ')} have the same approver key ${key}: rename one of them (its construct id)`);
    // Lambda allows 4 KB of environment; tokens (an account, a partition, a generated name) counted at 64 characters.
    const size = JSON.stringify(Stack.of(this).resolve(this.approversByKey())).replace(/\{"(Ref|Fn::[A-Za-z]+)":[^{}]*\}/g, 'x'.repeat(64)).length;
    const tooLarge = size > APPROVERS_ENV_LIMIT
      ? [`DeployStateMachine: the approvers of its actions take about ${size} characters of the approval function's environment, ` +
        `over ${APPROVERS_ENV_LIMIT}: grant approval to fewer roles (a role per team of approvers, say) or use DeployStateMachine.grantApproval for approvers of every action`]
      : [];
    return [...shared, ...tooLarge];
  }

  /**
   * Lets the task function read input artifacts from a pipeline's artifact bucket and stage large templates
   * under its own prefix there.
   * @internal
   */
  public _grantArtifactBucket(bucket: s3.IBucket): void {
    if (this.artifactBuckets.has(bucket)) return;
    this.artifactBuckets.add(bucket);
    this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects('*')],
    }));
    this.taskFunction.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`${STAGING_PREFIX}/*`)],
    }));
    bucket.encryptionKey?.grant(this.taskFunction, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
  }

  /** Every wildcard that remains is one AWS offers no narrower form of; each is recorded with its reason. */
  private suppressNagFindings(taskRole: iam.IRole, triggerRole: iam.IRole): void {
    const xray = {
      id: 'AwsSolutions-IAM5',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords, and codepipeline:GetJobDetails (which confirms a job with CodePipeline before anything is done for it), support no resource-level permissions',
      appliesTo: ['Resource::*'],
    };
    const dlq = {
      id: 'Serverless-LambdaDLQ',
      reason: 'Invoked synchronously (Step Functions, which retries and catches every error) or by CodePipeline, which the trigger always answers; a dead-letter queue would hold nothing actionable',
    };
    suppressNag(taskRole.node.tryFindChild('DefaultPolicy'), [
      xray,
      {
        id: 'AwsSolutions-IAM5',
        reason: 'Input artifacts have keys CodePipeline chooses at run time (GetObject on the artifact bucket); large templates are staged under this library\'s own prefix (PutObject); stack ARNs end in a stack id CloudFormation chooses; blue/green stacks end in a job id, nested stacks in a name CloudFormation chooses (their change sets are only read); change sets are limited to this library\'s name prefix by cloudformation:ChangeSetName',
        appliesTo: [
          { regex: '/^Resource::<.*\\.Arn>\\/\\*$/g' },
          { regex: `/^Resource::<.*\\.Arn>\\/${STAGING_PREFIX}\\/\\*$/g` },
          { regex: '/^Resource::arn:<AWS::Partition>:cloudformation:.*:stack\\/.*\\/\\*$/g' },
        ],
      },
    ]);
    suppressNag(triggerRole.node.tryFindChild('DefaultPolicy'), [
      xray,
      {
        id: 'AwsSolutions-IAM5',
        reason: 'codepipeline:PutJobSuccessResult and PutJobFailureResult support no resource-level permissions (granted by aws-cdk-lib\'s LambdaInvokeAction); DescribeExecution is limited to the executions of this state machine, whose names come from pipeline job ids',
        appliesTo: ['Resource::*', { regex: '/^Resource::arn:<AWS::Partition>:states:.*:execution:.*:\\*$/g' }],
      },
    ]);
    suppressNag(this.stateMachine.role.node.tryFindChild('DefaultPolicy'), [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'CloudWatch Logs delivery and X-Ray actions support no resource-level permissions; the task function is invoked by ARN and by qualified ARN (:*) of that one function',
        appliesTo: ['Resource::*', { regex: '/^Resource::<.*TaskFunction.*\\.Arn>:\\*$/g' }],
      },
    ]);
    suppressNag(this.taskFunction, [dlq]);
    suppressNag(this.triggerFunction, [dlq]);
  }
}

const SINGLETON_ID = 'StepFunctionsDeployWorkflow';

/** Room for APPROVERS in the approval function's 4 KB of environment variables (the rest is the runtime's). */
const APPROVERS_ENV_LIMIT = 3500;

/** The ARN of a role (its sessions count as it) or a user; undefined for any other principal. */
function approverArn(grantee: iam.IGrantable): string | undefined {
  const principal = grantee.grantPrincipal as Partial<iam.IRole & iam.IUser>;
  const arn = typeof principal.roleArn === 'string' && typeof principal.roleName === 'string' ? principal.roleArn
    : typeof principal.userArn === 'string' && typeof principal.userName === 'string' ? principal.userArn : undefined;
  if (arn === undefined) return undefined;
  // A literal ARN must be an IAM role's or user's; a token is CloudFormation's, of the role or user itself.
  return Token.isUnresolved(arn) || /^arn:[a-z-]+:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/.test(arn) ? arn : undefined;
}

/** What one action may deploy. @internal */
export interface DeploymentGrant {
  /** The action, for messages (its construct path). */
  readonly owner: string;
  readonly stackName: string;
  readonly deploymentRole: iam.IRole;
  /** With UnsafeChangeAction.deployToNewStack(): the suffix of the new stacks' names, or undefined for the default. */
  readonly newStack?: { readonly suffix?: string };
  readonly nestedStacks: boolean;
  readonly deleteRolledBack: boolean;
}

/**
 * The stack name patterns (IAM's `*` and `?`) an action may deploy: its stack, and its blue/green stacks,
 * `<stack>-<suffix>`, the default suffix being `g` and 8 characters of the job id.
 */
function writableStacks(grant: DeploymentGrant): string[] {
  if (!grant.newStack) return [grant.stackName];
  return [grant.stackName, `${grant.stackName}-${grant.newStack.suffix ?? `${NEW_STACK_SUFFIX_PREFIX}${'?'.repeat(NEW_STACK_ID_LENGTH)}`}`];
}

/** A function's own role and log group, so it needs no AWS managed policy. */
function functionRole(scope: Construct, id: string): { role: iam.Role; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_YEAR });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  return { role, logGroup };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

