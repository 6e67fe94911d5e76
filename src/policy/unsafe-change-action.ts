import { Token } from 'aws-cdk-lib';
import type { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { StrategyBinding } from './binding';
import { STRATEGIES, factoriesFor } from '../shared/policy-document';
import { APPROVAL_TIMEOUT_SECONDS } from '../shared/policy-vocabulary';

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
 * const newStack = UnsafeChangeAction.deployToNewStack({ stackNameSuffix: 'green' });
 * const askAPerson = UnsafeChangeAction.requireApproval({ notificationTopic: topic, timeout: Duration.hours(2) });
 */
export class UnsafeChangeAction {
  /**
   * Delete the change set without executing it and fail the pipeline action, naming each offending
   * resource and the rule that refused it. The default.
   */
  public static fail(): UnsafeChangeAction {
    return new UnsafeChangeAction(() => ({ document: { type: 'fail' }, grantRights: () => undefined }));
  }

  /**
   * Blue/green: delete the change set and deploy the template to a new stack,
   * `<stackName>-<suffix>`, instead; the action succeeds and reports the new stack's name (output variable
   * `StackName`). Traffic switching and the old stack's removal stay yours. If the new stack's deployment is
   * refused too, the action fails.
   */
  public static deployToNewStack(options: DeployToNewStackOptions = {}): UnsafeChangeAction {
    const suffix = options.stackNameSuffix;
    const problem = suffix === undefined || Token.isUnresolved(suffix) ? undefined : STRATEGIES.deployToNewStack.fields.suffix.check(suffix);
    if (problem) throw new Error(`UnsafeChangeAction.deployToNewStack: stackNameSuffix "${suffix}" ${problem}`);
    return new UnsafeChangeAction(() => ({
      document: { type: 'deployToNewStack', ...(suffix ? { suffix } : {}) },
      newStack: suffix ? { suffix } : {},
      grantRights: () => undefined,
    }));
  }

  /**
   * Pause the deployment and ask a person: the execution waits, the topic receives the changes that need approval
   * and how to decide (`cdk-sfn-deploy approve|reject`, which calls the deploy workflow's approval function URL
   * signed with your AWS credentials). Only the approvers granted on the action (`grantApproval`) can decide, and
   * the decision records them by their ARN as AWS authenticated them.
   * Approved: the change set is executed. Rejected, or no decision within the timeout: it is deleted and the
   * action fails. Changes the policy DENIES are rejected without asking; give the policy REQUIRE_APPROVAL
   * verdicts (rules, a function, or `denyDestructiveChanges()` with `destructiveChangeVerdict` REQUIRE_APPROVAL).
   */
  public static requireApproval(options: RequireApprovalOptions): UnsafeChangeAction {
    const timeout = options.timeout;
    if (timeout && !timeout.isUnresolved()) {
      // The document's check, in the words of a Duration.
      if (STRATEGIES.requireApproval.fields.timeoutSeconds.check(timeout.toSeconds({ integral: false }))) {
        throw new Error('UnsafeChangeAction.requireApproval: timeout must be whole seconds from ' +
          `${APPROVAL_TIMEOUT_SECONDS.min / 60} minute to ${APPROVAL_TIMEOUT_SECONDS.max / 3600} hours`);
      }
    }
    const topic = options.notificationTopic;
    return new UnsafeChangeAction((taskFunction, actionTimeoutSeconds) => {
      const timeoutSeconds = timeout?.toSeconds() ?? Math.min(actionTimeoutSeconds, APPROVAL_TIMEOUT_SECONDS.max);
      return {
        document: { type: 'requireApproval', topicArn: topic.topicArn, timeoutSeconds },
        approvalTimeoutSeconds: timeoutSeconds,
        grantRights: () => topic.grantPublish(taskFunction),
      };
    });
  }

  /**
   * A strategy is one of the static methods above, named as its type, and provides, through `bind`: its document
   * (the state machine branches on its `type`, the task that runs the branch reads the rest; its fields, their
   * checks and where it cannot go are its entry of `STRATEGIES` in shared/policy-document.ts); the rights that task
   * needs (a function that grants them to the task function); how long a person may take, if one decides; and the
   * stacks it deploys beside the action's own, if any. Nothing else in the construct knows the strategies apart.
   */
  private constructor(
    private readonly bind: (taskFunction: iam.IGrantable, actionTimeoutSeconds: number) => StrategyBinding,
  ) {}

  /**
   * Binds the strategy to an action whose workflow runs `taskFunction` and whose timeout is
   * `actionTimeoutSeconds`: what the action needs to know, and the rights to grant. Only the
   * static methods make strategies (the constructor is private, so Python and Java cannot call it); an object
   * made any other way gets this error.
   * @internal
   */
  public _bind(_scope: Construct, taskFunction: iam.IGrantable, actionTimeoutSeconds: number): StrategyBinding {
    if (!this.bind) {
      throw new Error(`UnsafeChangeAction: use UnsafeChangeAction.${factoriesFor()}; subclasses are not supported`);
    }
    return this.bind(taskFunction, actionTimeoutSeconds);
  }
}
