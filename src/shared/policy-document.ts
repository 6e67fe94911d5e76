/**
 * The serialised form of a safety policy and of the on-unsafe strategy: what `SafetyPolicy` and
 * `UnsafeChangeAction` render at synth time and what the task handler evaluates. Plain data.
 */

import type { CriterionKey, RULE_CRITERIA, Verdict } from './policy-vocabulary';

export type { Verdict } from './policy-vocabulary';

/**
 * One rule of a rule-based policy: `SafetyRule` with plain strings. Every criterion given must match; a rule
 * without criteria matches all.
 */
export type RuleDocument = { readonly verdict: Verdict; readonly description?: string }
& { readonly [K in CriterionKey]?: (typeof RULE_CRITERIA)[K] extends { kind: 'broadening' } ? boolean : string[] };

export interface DenyDestructiveDocument {
  readonly type: 'denyDestructive';
  /** What a destructive change gets: DENY (the default) or REQUIRE_APPROVAL. */
  readonly destructiveVerdict?: Verdict;
  /** Resource type globs whose replacement is allowed. */
  readonly allowReplacementOfTypes?: string[];
  /** Logical id globs whose replacement is allowed. */
  readonly allowReplacementOfIds?: string[];
  /** What a change that widens permissions gets: DENY or REQUIRE_APPROVAL. Left out: such changes are judged like any other. */
  readonly broadeningVerdict?: Verdict;
}

export interface RulesDocument {
  readonly type: 'rules';
  readonly rules: RuleDocument[];
  /** The verdict when no rule matches. @default DENY */
  readonly defaultVerdict?: Verdict;
}

export interface AllowAllDocument {
  readonly type: 'allowAll';
}

/** The user's own Lambda function decides (see the README for its event and answer). */
export interface FunctionDocument {
  readonly type: 'function';
  readonly functionArn: string;
}

export type PolicyDocument = DenyDestructiveDocument | RulesDocument | AllowAllDocument | FunctionDocument;

/** What the workflow does when the policy refuses a change set. */
export type UnsafeChangeDocument =
  | { readonly type: 'fail' }
  /** Blue/green: deploy the template to a new stack, `<stackName>-<suffix>`. */
  | { readonly type: 'deployToNewStack'; readonly suffix?: string }
  /** Pause for a person; the change set is executed only if approved within the timeout. */
  | {
    readonly type: 'requireApproval';
    readonly topicArn: string;
    readonly timeoutSeconds: number;
    /**
     * The action's key among the approval function's approvers (`APPROVER_KEY`), set at synth. Without it, only the
     * approvers of every action of the workflow (`DeployStateMachine.grantApproval`) may decide.
     */
    readonly approvers?: string;
  };

/** An action's key among the approval function's approvers: 8 hexadecimal characters, from the action's construct path. */
export const APPROVER_KEY = /^[0-9a-f]{8}$/;

/** The answer a policy function returns. */
export interface FunctionPolicyAnswer {
  readonly verdict: Verdict;
  readonly reasons?: { readonly logicalId?: string; readonly verdict?: Verdict; readonly reason: string }[];
}
