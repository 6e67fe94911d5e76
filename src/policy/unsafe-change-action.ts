import { Token } from 'aws-cdk-lib';
import type { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { DEFAULTS } from '../shared/contract';
import type { UnsafeChangeDocument } from '../shared/policy-document';
import { APPROVAL_TIMEOUT_SECONDS, STACK_SUFFIX_PATTERN, STACK_SUFFIX_RULE } from '../shared/policy-vocabulary';

/** Options of `UnsafeChangeAction.deployToNewStack()`. */
export interface DeployToNewStackOptions {
  /**
   * The suffix of the new stack's name: `<stackName>-<suffix>`. Letters, digits and hyphens.
   * @default - `g` and the first 8 characters of the pipeline job id, so every rejected deployment gets its own stack
   */
  readonly stackNameSuffix?: string;
}

/** Options of `UnsafeChangeAction.requireApproval()`. */
export interface RequireApprovalOptions {
  /** The topic that receives the summary of the changes and the commands to approve or reject. */
  readonly notificationTopic: sns.ITopic;
  /**
   * How long to wait for a decision; no decision in time is a rejection. It may not be longer than the
   * action's `timeout`, and the wait ends at the action's deadline anyway: a change set is never executed
   * after it.
   * @default - the action's timeout (at most 20 hours)
   */
  readonly timeout?: Duration;
}

/**
 * What the workflow does when the safety policy refuses a change set.
 *
 * @example
 * declare const topic: sns.ITopic;
 * const failFast = UnsafeChangeAction.fail();
 * const blueGreen = UnsafeChangeAction.deployToNewStack({ stackNameSuffix: 'green' });
 * const askAPerson = UnsafeChangeAction.requireApproval({ notificationTopic: topic, timeout: Duration.hours(2) });
 */
export class UnsafeChangeAction {
  /**
   * Delete the change set without executing it and fail the pipeline action, naming each offending
   * resource and the rule that refused it. The default.
   */
  public static fail(): UnsafeChangeAction {
    return new UnsafeChangeAction(() => ({ type: 'fail' }));
  }

  /**
   * Blue/green (the blog's exercise 1): delete the change set and deploy the template to a new stack,
   * `<stackName>-<suffix>`, instead; the action succeeds and reports the new stack's name (output variable
   * `StackName`). Traffic switching and the old stack's removal stay yours. If the new stack's deployment is
   * refused too, the action fails.
   */
  public static deployToNewStack(options: DeployToNewStackOptions = {}): UnsafeChangeAction {
    const suffix = options.stackNameSuffix;
    if (suffix !== undefined && !Token.isUnresolved(suffix) && !STACK_SUFFIX_PATTERN.test(suffix)) {
      throw new Error(`UnsafeChangeAction.deployToNewStack: stackNameSuffix "${suffix}" must be ${STACK_SUFFIX_RULE}`);
    }
    return new UnsafeChangeAction(() => ({ type: 'deployToNewStack', ...(suffix ? { suffix } : {}) }));
  }

  /**
   * Pause the deployment and ask a person: the execution waits with a task token, the topic receives the
   * changes that need approval and the commands to decide (`cdk-sfn-deploy approve|reject`, or
   * `aws stepfunctions send-task-success|send-task-failure`; both need IAM permission on the state machine).
   * Approved: the change set is executed. Rejected, or no decision within the timeout: it is deleted and the
   * action fails. Changes the policy DENIES are rejected without asking; give the policy REQUIRE_APPROVAL
   * verdicts (rules, a function, or `denyDestructiveChanges({ destructiveChangeVerdict: REQUIRE_APPROVAL })`).
   */
  public static requireApproval(options: RequireApprovalOptions): UnsafeChangeAction {
    const timeout = options.timeout;
    if (timeout && !timeout.isUnresolved()) {
      const seconds = timeout.toSeconds({ integral: false });
      if (seconds < APPROVAL_TIMEOUT_SECONDS.min || seconds > APPROVAL_TIMEOUT_SECONDS.max || !Number.isInteger(seconds)) {
        throw new Error('UnsafeChangeAction.requireApproval: timeout must be whole seconds from ' +
          `${APPROVAL_TIMEOUT_SECONDS.min / 60} minute to ${APPROVAL_TIMEOUT_SECONDS.max / 3600} hours`);
      }
    }
    const topic = options.notificationTopic;
    const timeoutSeconds = timeout?.toSeconds();
    return new UnsafeChangeAction((actionTimeoutSeconds) => ({
      type: 'requireApproval',
      topicArn: topic.topicArn,
      timeoutSeconds: timeoutSeconds ?? Math.min(actionTimeoutSeconds, APPROVAL_TIMEOUT_SECONDS.max),
    }), topic);
  }

  private constructor(
    private readonly renderer: (actionTimeoutSeconds: number) => UnsafeChangeDocument,
    private readonly notificationTopic?: sns.ITopic,
  ) {}

  /**
   * The strategy's document, for an action whose timeout is `actionTimeoutSeconds`. Only the static methods
   * make strategies (the constructor is private, so Python and Java cannot call it); an object made any
   * other way has no document and gets this error.
   * @internal
   */
  public _render(actionTimeoutSeconds: number = DEFAULTS.timeoutMinutes * 60): UnsafeChangeDocument {
    if (!this.renderer) {
      throw new Error('UnsafeChangeAction: use UnsafeChangeAction.fail(), deployToNewStack() or requireApproval(); subclasses are not supported');
    }
    return this.renderer(actionTimeoutSeconds);
  }

  /** Grants what the strategy needs to the workflow's task function. @internal */
  public _grant(taskFunction: iam.IGrantable): void {
    // Only an approval needs a right beyond the deployment's: to publish to its topic.
    this.notificationTopic?.grantPublish(taskFunction);
  }
}
