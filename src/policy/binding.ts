/**
 * What a safety policy and an unsafe-change strategy give the action that uses them, through their one
 * internal `_bind()`: the action renders nothing itself and tests no document `type`. The rights come back as a
 * function, so the action grants them after the deployment's own rights, in one order for every action.
 */
import type { PolicyDocument, UnsafeChangeDocument } from '../shared/policy-document';

/** What a policy gives the action that uses it. */
export interface PolicyBinding {
  /** The policy as data: written into the action's configuration, evaluated by the workflow. */
  readonly document: PolicyDocument;
  /** Whether any change can get REQUIRE_APPROVAL (`UnsafeChangeAction.requireApproval()` needs one that can). */
  readonly canRequireApproval: boolean;
  /** Grants the task function what the policy needs (a function policy: invoking its function). */
  readonly grantRights: () => void;
}

/** What a strategy gives the action that uses it (see `UnsafeChangeAction` for what a strategy provides). */
export interface StrategyBinding {
  /** The strategy as data: written into the action's configuration; the workflow branches on its `type`. */
  readonly document: UnsafeChangeDocument;
  /** When a person decides: how long the wait may last, in seconds (never beyond the action's timeout). */
  readonly approvalTimeoutSeconds?: number;
  /**
   * When the strategy deploys stacks beside the action's own: the suffix of their names (`<stackName>-<suffix>`),
   * or undefined for the generated suffix. The action may create, update and delete those stacks.
   */
  readonly newStack?: { readonly suffix?: string };
  /** Grants the task function what the strategy needs beyond the deployment's rights (an approval: publishing to its topic). */
  readonly grantRights: () => void;
}
