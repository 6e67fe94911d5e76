/**
 * The contract between the constructs and the handlers: what travels in the pipeline action's
 * UserParameters, in the state machine input and between the states. Plain data, no aws-cdk-lib.
 * Construct code imports this module with `import type` only, except for the constants below.
 */
import { FAILURE_NAMES } from './errors';
import type { PolicyDocument, UnsafeChangeDocument, Verdict } from './policy-document';

/** Version of the UserParameters format, so a later release can evolve it safely. */
export const CONFIG_VERSION = 1;

/** CodePipeline limits (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html). */
export const LIMITS = {
  userParameters: 1000,
  continuationToken: 2048,
  summary: 2048,
  failureMessage: 5000,
  /** CloudFormation's limit for an inline TemplateBody; larger templates go through S3 (TemplateURL). */
  templateBody: 51_200,
  /** CloudFormation's limit for a template given as TemplateURL. */
  templateUrl: 1_000_000,
  /** Largest input artifact zip the task function downloads. */
  artifactZip: 50 * 1024 * 1024,
  /** Largest template configuration file. */
  templateConfiguration: 1_000_000,
  /** Largest S3 input file (the original sample's stateMachineFile). */
  inputFile: 64 * 1024,
  /** Most violations kept in the state payload (the full count is always reported). */
  violationsInState: 50,
  /** Most changes kept in the state for the change report (the full count is always reported). */
  changesInReport: 200,
} as const;

/** Default timing of the workflow. */
export const DEFAULTS = {
  pollIntervalSeconds: 5,
  /** The longest poll interval during the first hour of an operation, and after it. */
  maxPollIntervalSeconds: 30,
  maxPollIntervalSecondsAfterAnHour: 60,
  timeoutMinutes: 120,
  /** CodePipeline gives a Lambda invoke action 24 hours; the workflow always gives up before that. */
  maxTimeoutMinutes: 23 * 60,
} as const;

/** Environment variable names of the functions. */
export const ENV = {
  stateMachineArn: 'STATE_MACHINE_ARN',
  stagingPrefix: 'STAGING_PREFIX',
  /** The partition's domain (amazonaws.com, amazonaws.com.cn, ...), for the S3 URLs of staged templates. */
  urlSuffix: 'URL_SUFFIX',
  /** The table where a wait for a stack operation leaves its task token for the stack's status events. */
  waitTable: 'WAIT_TABLE',
  /** The roles of other accounts the task function assumes for deployments (`targetAccountRole`), a JSON list. */
  deployRoles: 'DEPLOY_ROLES',
  /**
   * The roles of other accounts the task function assumes only to review prepared change sets, each with the stacks
   * it reviews (a JSON list of [role ARN, [stack names]]): assumed with a session policy for those stacks only.
   */
  reviewRoles: 'REVIEW_ROLES',
  /**
   * The approval function's approvers: a JSON list of [action key, [role or user ARNs]], the key being the action's
   * `onUnsafe.approvers`, or `*` for the approvers of every action of the workflow.
   */
  approvers: 'APPROVERS',
  /** The approval function's URL, for the approval message (the task function's). */
  approvalUrl: 'APPROVAL_URL',
} as const;

/** The name CDK Pipelines gives every change set it prepares (its prepare and deploy actions both use it). */
export const CDK_PIPELINES_CHANGE_SET = 'PipelineChange';


/**
 * Waiting for a stack operation on CloudFormation's own status events: the longest the workflow waits for an event
 * before it reads the stack itself (events can be lost), and how long a wait's record is kept.
 */
export const STACK_EVENTS = {
  safetyPollSeconds: 900,
  recordDays: 2,
} as const;

/** Key prefix, in the pipeline's artifact bucket, where templates over 51,200 bytes are staged. */
export const STAGING_PREFIX = 'sfn-deploy-action-staging';

/**
 * The pipeline action's configuration, as JSON in UserParameters (and, optionally, in an S3 input file
 * whose keys are merged under it; the original sample's `s3Bucket` + `stateMachineFile` pair names that file): one stack's
 * settings at the top, or `stacks`, and the settings of the whole deployment.
 */
export interface ActionConfig extends Partial<Omit<StackConfig, 'dependsOn' | 'parameterOutputs'>> {
  readonly v?: number;
  readonly blockingAlarms?: RollbackAlarm[];
  readonly whenAlarmFiring?: 'WAIT' | 'FAIL';
  readonly environmentName?: string;
  readonly policy?: PolicyDocument;
  readonly onUnsafe?: UnsafeChangeDocument;
  readonly pollIntervalSeconds?: number;
  readonly timeoutMinutes?: number;
  readonly includeNestedStacks?: boolean;
  readonly recreateRolledBackStack?: boolean;
  readonly revertDrift?: boolean;
  /** The action has an output artifact for the change report. */
  readonly report?: boolean;
  /** Wake on CloudFormation's status events while a stack operation runs (the workflow has them; written only when true). */
  readonly stackEvents?: boolean;
  /**
   * Several stacks reviewed as one unit, in the order they execute: each entry a stack name (its template is
   * `<stackName>.template.json`, CDK's name) or the stack's own settings. Instead of the single-stack keys.
   */
  readonly stacks?: (string | StackConfig)[];
  /**
   * Review only: the name of the change sets another action prepared for `stacks` (CDK Pipelines' `PipelineChange`).
   * They are read and judged, deleted when refused, and never executed here: the pipeline's own action executes them.
   */
  readonly prepared?: string;
  readonly s3Bucket?: string;
  readonly stateMachineFile?: string;
}

/**
 * Whether a deployment only reviews change sets the pipeline prepared. Any value counts, as in the state machine
 * (which tests the field's presence): such a deployment never executes or creates anything.
 */
export function reviewsOnly(deployment: { readonly prepared?: unknown }): boolean {
  return deployment.prepared !== undefined;
}

/** The template of a unit's stack given by name only: CDK's file name for the stack. */
export function defaultTemplatePath(stackName: string): string {
  return `${stackName}.template.json`;
}

/** Where the input artifact lives (from the CodePipeline job). */
export interface ArtifactLocation {
  readonly bucket: string;
  readonly key: string;
}

/**
 * The one model of a stack's settings: what it deploys, with what, through which roles, where. A single stack and
 * each stack of a unit have this shape; the deployment extends it, and the configuration holds it as `StackConfig`.
 * Normalised (`toDeployment`): the full name, every default filled in, the action's roles and region where the stack
 * names none.
 */
export interface StackSettings {
  readonly stackName: string;
  /** The template in the input artifact; for a stack of a unit given by name, `<stackName>.template.json` (CDK's name). */
  readonly templatePath: string;
  readonly templateConfigurationPath?: string;
  readonly parameterOverrides: Record<string, string>;
  readonly tags: Record<string, string>;
  readonly capabilities: string[];
  /** The CloudFormation service role. */
  readonly roleArn?: string;
  /**
   * A role in the target account that the workflow assumes for the stack's CloudFormation calls (cross-account); at
   * the top of the configuration of a review of prepared change sets, that of every stack that names none.
   */
  readonly assumeRoleArn?: string;
  /**
   * The region of the stack's CloudFormation calls, when it is not the workflow's: a prepared change set's stack (at
   * the top of the configuration, every stack's that names none; the stacks of a CDK Pipelines stage share one).
   */
  readonly region?: string;
  /**
   * CloudWatch alarms CloudFormation watches during the stack's creation or update and its monitoring period (its
   * rollback triggers, at most 5): one in ALARM rolls the operation back.
   */
  readonly rollbackAlarms?: RollbackAlarm[];
  /** How long CloudFormation keeps watching the rollback alarms after the operation deployed every resource (0 to 180). */
  readonly monitoringMinutes?: number;
  /** A stack of a unit: earlier stacks of the unit that must be deployed before it is reviewed (it imports their exports). */
  readonly dependsOn?: string[];
  /** A stack of a unit: parameters whose values are outputs of earlier stacks of the unit, `<stack>.<output key>`. */
  readonly parameterOutputs?: Record<string, string>;
}

/** A rollback trigger: a CloudWatch alarm by its ARN, and whether it is a composite alarm (CloudFormation asks its type). */
export interface RollbackAlarm {
  readonly arn: string;
  readonly composite?: boolean;
}

/**
 * A stack's settings as the configuration holds them: the same keys, with names (its own and those of the stacks it
 * needs) without the environment prefix, and only what is not the default.
 */
export type StackConfig = Pick<StackSettings, 'stackName'> & Partial<Omit<StackSettings, 'stackName'>>;

/** The deployment as the state machine receives it: `$.deployment`. */
export interface Deployment extends StackSettings {
  readonly policy: PolicyDocument;
  readonly onUnsafe: UnsafeChangeDocument;
  /** The input artifact; a review of prepared change sets has none. */
  readonly artifact?: ArtifactLocation;
  /**
   * The name of the change sets the pipeline prepared, as in the configuration: review only, never execute
   * (`changeSetName` is the same name).
   */
  readonly prepared?: string;
  readonly changeSetName: string;
  readonly pollIntervalSeconds: number;
  /** Epoch milliseconds when the pipeline started the deployment. */
  readonly startedAt: number;
  /** Epoch milliseconds after which the workflow gives up. */
  readonly deadline: number;
  readonly jobId: string;
  /** Create change sets with IncludeNestedStacks and inspect every nested change set. */
  readonly includeNestedStacks?: boolean;
  /** Delete a stack left in ROLLBACK_COMPLETE (its creation failed) and create it again. */
  readonly recreateRolledBackStack?: boolean;
  /** Create drift-aware change sets (DeploymentMode REVERT_DRIFT) for existing stacks. */
  readonly revertDrift?: boolean;
  /** Keep every change's verdict in the inspection, for the change report the trigger writes. */
  readonly report?: boolean;
  /** Wake on the stack's status events while a stack operation runs (a safety poll still reads the stack). */
  readonly stackEvents?: boolean;
  /** Alarms that, besides each stack's rollback alarms, keep the deployment from starting while one is in ALARM. */
  readonly blockingAlarms?: RollbackAlarm[];
  /** While a rollback or blocking alarm is in ALARM before a stack is deployed: wait for it (up to the deadline) or fail. */
  readonly whenAlarmFiring?: 'WAIT' | 'FAIL';
  /** Set when the deployment switched to a new stack (blue/green): the stack it was meant for. */
  readonly previousStackName?: string;
  /**
   * Several stacks reviewed as one unit, in the order they execute (full names). The deployment's own stack
   * fields are then the first stack's; each stack's deployment is this one with that stack's fields.
   */
  readonly unit?: StackSettings[];
  /** For the deployment of one stack of a unit: how many stacks the unit has (each keeps a share of the state). */
  readonly unitSize?: number;
}

/** The state machine input. */
export interface WorkflowInput {
  readonly deployment: Deployment;
}

/** Result of `confirmJob` (`$.job`): the pipeline job CodePipeline confirmed in progress for this execution. */
export interface JobResult {
  readonly pipelineName: string;
  readonly pipelineExecutionId: string;
  readonly actionExecutionId: string;
}

/**
 * The task handler's operations (the `task` field of each Task state's payload), and what each does outside the
 * function. A task that writes or publishes anything (CloudFormation, S3, SNS, DynamoDB, CodePipeline) acts only
 * for a running execution of its state machine that is at a state running this task with exactly this payload
 * (`confirmCaller`, at the function's entry). A task that only reads skips that check: whoever invokes the
 * function directly gets its result back, and the execution only ever takes the results of its own invocations,
 * so no decision of an execution can be changed by a direct invocation of a reading task.
 */
export const TASK_EFFECTS = {
  /** GetJobDetails, ListActionExecutions, the S3 input file: reads, and returns the job's ids. */
  confirmJob: 'reads',
  /** Stages a template over 51,200 bytes in the artifact bucket (S3 PutObject). */
  readTemplate: 'writes',
  /** DescribeStacks; DescribeAlarms of the stack's rollback and blocking alarms before it is deployed. */
  checkStack: 'reads',
  /** CreateStack. */
  createStack: 'writes',
  /** DescribeStacks, DescribeStackEvents, DescribeChangeSet; DescribeAlarms after a rollback of a stack with rollback alarms. */
  pollStack: 'reads',
  /** CreateChangeSet. */
  createChangeSet: 'writes',
  /** DescribeChangeSet. */
  pollChangeSet: 'reads',
  /**
   * DescribeChangeSet, and the policy function (which judges and returns a verdict): the verdict decides only when
   * the execution's own invocation returns it.
   */
  inspectChangeSet: 'reads',
  /** ExecuteChangeSet. */
  executeChangeSet: 'writes',
  /** DeleteChangeSet. */
  deleteChangeSet: 'writes',
  /** No AWS call: the blue/green stack name. */
  switchToNewStack: 'reads',
  /** SNS Publish to the approvers (the execution and where to answer; never the task token). */
  requestApproval: 'writes',
  /** DeleteStack. */
  deleteRolledBackStack: 'writes',
  /** No AWS call: the next round of a unit (the task's name is the graph's, which reads it). */
  planUnitRound: 'reads',
  /**
   * Deletes the change sets of stacks cut from a round (DeleteChangeSet); for a safe round, picks its first stack,
   * and allows prepared change sets after describing them again.
   */
  judgeUnit: 'writes',
  /** Picks the next stack to deploy, or allows prepared change sets after describing them again. */
  nextUnitStack: 'writes',
  /** DeleteChangeSet. */
  deleteUnitChangeSets: 'writes',
} as const satisfies Record<string, 'reads' | 'writes'>;
export type TaskName = keyof typeof TASK_EFFECTS;
/** Names of the task handler's operations. */
export const TASKS = Object.keys(TASK_EFFECTS) as readonly TaskName[];
/** Whether a task writes or publishes anything, so that only a confirmed execution may call it. */
export function taskWrites(task: TaskName): boolean {
  return TASK_EFFECTS[task] === 'writes';
}

/** The approvers' key for every action of a deploy workflow (`DeployStateMachine.grantApproval`). */
export const ANY_ACTION = '*';

/** Result of `checkStack` (`$.stack`). */
export interface CheckStackResult {
  readonly exists: boolean;
  readonly status?: string;
  readonly stackId?: string;
  /** What the workflow does next. */
  readonly next: 'CREATE' | 'CHANGE_SET' | 'WAIT' | 'BLOCKED' | 'DELETE';
  readonly reason?: string;
  readonly waitSeconds: number;
  /** The stack's outputs as they are now (for the output variables of a deployment with no changes). */
  readonly outputs?: Record<string, string>;
  /** When the stack last changed (its LastUpdatedTime, or CreationTime), epoch milliseconds. */
  readonly changedAt?: number;
  /**
   * With `next: CHANGE_SET`: a random token, known only to this execution until its change set is created, that
   * the change set is created with (its client token, and in its description). A change set found under the
   * deployment's name without it was not created by this execution and is never adopted.
   */
  readonly changeSetToken?: string;
  /**
   * The stack has rollback triggers or a monitoring time now (DescribeStacks' RollbackConfiguration): CloudFormation
   * keeps them for every later update unless told otherwise, so a deployment without rollback alarms clears them.
   */
  readonly rollbackConfigured?: boolean;
}

/** Result of `createStack`, `executeChangeSet` and `pollStack` (`$.operation`): the stack operation under way. */
export interface OperationResult {
  /** The status that means the operation succeeded: CREATE_COMPLETE or UPDATE_COMPLETE. */
  readonly expectedStatus: string;
  readonly stackId?: string;
  readonly status?: string;
  readonly outcome?: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  readonly reason?: string;
  readonly waitSeconds: number;
  /**
   * For an update: when the stack last changed (LastUpdatedTime, or CreationTime; epoch milliseconds) as it was
   * checked before its change set was created. A DescribeStacks that still shows the previous update's
   * UPDATE_COMPLETE has this time; only a later one is this update's end, unless the change set's ExecutionStatus
   * says the execution ended (EXECUTE_FAILED with the stack unchanged is a failure).
   */
  readonly updatedBefore?: number;
  /** The stack's outputs once the operation succeeded. */
  readonly outputs?: Record<string, string>;
  /** The operation's ClientRequestToken: CloudFormation's status events for it carry the same. */
  readonly clientRequestToken?: string;
  /** When the record of a wait for this operation's events may go (DynamoDB TTL, epoch seconds). */
  readonly expiresAt?: number;
}

/** Result of `createChangeSet` and `pollChangeSet` (`$.changeSet`). */
export interface ChangeSetResult {
  readonly name: string;
  /**
   * The change set's id (its ARN), as CloudFormation gave it when it was created or first described. A change set
   * deleted and created again under the same name has another id: from here on the workflow reads and executes
   * it by this id, never by name.
   */
  readonly id?: string;
  /** CREATE (the stack was REVIEW_IN_PROGRESS) or UPDATE. */
  readonly type: string;
  readonly status?: string;
  readonly outcome?: 'PENDING' | 'READY' | 'NO_CHANGES' | 'FAILED';
  readonly reason?: string;
  readonly waitSeconds: number;
}

/** One change the policy refused. */
export interface Violation {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly action: string;
  readonly replacement?: string;
  readonly rule: string;
  /** Logical ids of the enclosing nested stacks, outermost first. */
  readonly path?: string[];
  /** What the change does to its properties, one short line each (secrets masked), when CloudFormation says. */
  readonly properties?: string[];
}

/** One change and its verdict, as the change report lists it. */
export interface ReportedChange {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly action: string;
  readonly replacement?: string;
  readonly verdict: 'ALLOW' | 'DENY' | 'REQUIRE_APPROVAL';
  readonly rule: string;
  /** Logical ids of the enclosing nested stacks, outermost first. */
  readonly path?: string[];
}

/** Result of `inspectChangeSet` (`$.inspection`). */
export interface InspectionResult {
  /**
   * The policy's verdict on the change set, in the rules' words: ALLOW: execute. REQUIRE_APPROVAL: ask a person
   * (only with UnsafeChangeAction.requireApproval(); without it such a change set is denied). DENY: refuse.
   */
  readonly verdict: Verdict;
  /** The id (ARN) of the change set that was judged: the only one that may be executed. */
  readonly changeSetId: string;
  /**
   * SHA-256 of what was judged (the change set's description and every change of it and of its nested change
   * sets, as read): the change set is described again right before it is executed, and executed only if this is
   * unchanged.
   */
  readonly digest: string;
  readonly changeCount: number;
  readonly violationCount: number;
  /** With a change report: every change's verdict (at most LIMITS.changesInReport; changeCount says how many there are). */
  readonly changes?: ReportedChange[];
  /** At most LIMITS.violationsInState violations. */
  readonly violations: Violation[];
  /** One line per offending resource, already cut to fit a pipeline failure message. */
  readonly reason: string;
  /** Counts of changes by action (Add, Modify, Remove, ...). */
  readonly counts: Record<string, number>;
  /** Nested change sets inspected. */
  readonly nestedChangeSets: number;
  /**
   * With UnsafeChangeAction.requireApproval(): how long the approval may wait, in whole seconds: the strategy's
   * timeout, cut to the time left before the action's deadline (at least 1).
   */
  readonly approvalTimeoutSeconds?: number;
}

/**
 * A person's approval, as the approval function sends it with SendTaskSuccess (`$.approval`): `by` is the
 * caller's ARN as AWS authenticated their signed request (an IAM user, or a role's session:
 * `arn:aws:sts::<account>:assumed-role/<role>/<session>`), `grantedAs` the role or user granted approval it matched.
 */
export interface ApprovalResult {
  readonly approved: boolean;
  readonly by?: string;
  readonly grantedAs?: string;
  readonly comment?: string;
}

/** What happened to one stack of a unit. */
export type UnitStackStatus =
  /** Not reviewed yet: in a later round. */
  | 'WAITING'
  /** Reviewed in the current round; not executed yet. */
  | 'REVIEWED'
  | 'CREATED' | 'UPDATED' | 'NO_CHANGES'
  /** A prepared change set the review allowed: the pipeline's own action executes it. */
  | 'ALLOWED'
  /** Its operation failed. */
  | 'FAILED'
  /** Its operation had started when an error stopped the workflow: how it ended is the stack's to tell. */
  | 'INTERRUPTED'
  /** Left as it was: the unit was refused, or stopped before this stack. */
  | 'UNTOUCHED';

/** What the review of one stack of a unit found (the Map iteration's last state keeps it). */
export interface UnitReview {
  readonly stackName: string;
  /**
   * EXECUTE: a change set to execute; CREATE: a new stack; NONE: no changes; FAILED: its change set failed;
   * BLOCKED: cannot be updated; ERROR: a task of its review failed (`error`).
   */
  readonly plan: 'EXECUTE' | 'CREATE' | 'NONE' | 'FAILED' | 'BLOCKED' | 'ERROR';
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  readonly stack?: CheckStackResult;
  readonly changeSet?: ChangeSetResult;
  readonly inspection?: InspectionResult;
  readonly template?: { readonly size: number; readonly templateUrl?: string };
}

/** One stack of a unit, as the workflow follows it. */
export interface UnitMemberState {
  readonly stackName: string;
  readonly status: UnitStackStatus;
  /** The round that reviewed it (1 for the first). */
  readonly round?: number;
  readonly review?: UnitReview;
  /** The stack's outputs after its deployment (or as they were, without changes). */
  readonly outputs?: Record<string, string>;
  readonly reason?: string;
}

/** The state of one stack's operation inside a unit: what the stack tasks read, for the stack being deployed. */
export interface UnitCurrent extends WorkflowState {
  /** The index of the stack in the unit. */
  readonly index: number;
}

/**
 * The unit's progress (`$.unit`). A round is the stacks of a unit reviewed together (and then executed one after
 * another) before the next round is reviewed; "wave" is CDK Pipelines' word for its own groups of stages.
 */
export interface UnitState {
  readonly members: UnitMemberState[];
  /** Rounds started so far. */
  readonly round: number;
  /** The deployments of the stacks this round reviews (the Map's items). */
  readonly review: Deployment[];
  /** What the workflow does next. */
  readonly next: 'REVIEW' | 'EXECUTE' | 'CREATE' | 'APPROVE' | 'REFUSE' | 'FAIL' | 'STOP' | 'DONE';
  /** The verdict on the round: the worst of its stacks' (DENY, then REQUIRE_APPROVAL, then ALLOW). */
  readonly verdict?: Verdict;
  /** Why the unit was refused, failed or stopped; what needs approval. */
  readonly reason?: string;
  readonly approvalTimeoutSeconds?: number;
  /** A person's decision on the round (`Wait For Unit Approval`). */
  readonly approval?: ApprovalResult;
  /** The decisions on earlier rounds. */
  readonly approvals?: ApprovalResult[];
  /** The stack being deployed (next CREATE or EXECUTE). */
  readonly current?: UnitCurrent;
  /** Before the next round (next REVIEW): the poll interval, in seconds. */
  readonly waitSeconds?: number;
}

/** The workflow's state: its input, and each task's result at the task's ResultPath. */
export interface WorkflowState {
  readonly deployment: Deployment;
  readonly job?: JobResult;
  readonly template?: { readonly size: number; readonly templateUrl?: string };
  readonly stack?: CheckStackResult;
  readonly operation?: OperationResult;
  readonly changeSet?: ChangeSetResult;
  readonly inspection?: InspectionResult;
  readonly approval?: ApprovalResult;
  readonly unit?: UnitState;
  readonly reviews?: UnitReview[];
  readonly [key: string]: unknown;
}

/** Error names a person's decision ends with (SendTaskFailure). */
export const APPROVAL_REJECTED = FAILURE_NAMES.approvalRejected;
