/**
 * The serialised form of a safety policy and of the on-unsafe strategy: what `SafetyPolicy` and
 * `UnsafeChangeAction` render at synth time and what the task handler evaluates, and the table of the strategies:
 * each one's fields and their checks, and where it cannot go.
 */

import { APPROVAL_TIMEOUT_SECONDS, STACK_SUFFIX_PATTERN, STACK_SUFFIX_RULE } from './policy-vocabulary';
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

/** A strategy's type: also the name of the `UnsafeChangeAction` static method that makes it. */
export type StrategyType = UnsafeChangeDocument['type'];

/** One field of a strategy's document. */
interface StrategyField {
  /** It may be left out. */
  readonly optional?: true;
  /** What is wrong with a value, in words that follow the field's name; undefined when nothing is. */
  readonly check: (value: unknown) => string | undefined;
}

/**
 * Where some strategies cannot go: a unit of stacks (`units`), which is refused or approved as a whole, and a review
 * of the change sets a pipeline prepared (`prepared`), which deploys nothing itself.
 */
export type StrategyPlace = 'units' | 'prepared';

/** Why a strategy cannot go there, in words for the configuration's check and for the construct's error. */
export interface StrategyRefusal {
  /** After the configuration key's name: `"stacks" cannot switch to new stacks (deployToNewStack)`. */
  readonly config: string;
  /** Why, in the construct's error: `... is not available with stacks: <why>; use ...`. */
  readonly why: string;
}

/** What a strategy is, apart from its public factory, its states in the graph and its task. */
interface Strategy<D> {
  /** Every field of its document but `type`, in the order their problems are named. */
  readonly fields: { readonly [K in Exclude<keyof D, 'type'>]-?: StrategyField };
  /** When a person decides: how long they may take, in seconds, read from the document (not yet checked). */
  readonly approvalSeconds?: (doc: Record<string, unknown>) => unknown;
  /** Where it cannot go, and why; everywhere else it may. */
  readonly refused?: { readonly [P in StrategyPlace]?: StrategyRefusal };
}

/**
 * Every unsafe-change strategy, by type: its document's fields and their checks, whether a person decides, and where
 * it cannot go. The run-time check of a document, the configuration's check and the constructs' refusals read it
 * instead of naming strategies.
 */
export const STRATEGIES: { readonly [T in StrategyType]: Strategy<Extract<UnsafeChangeDocument, { type: T }>> } = {
  fail: { fields: {} },
  deployToNewStack: {
    fields: {
      suffix: {
        optional: true,
        check: (value) => (typeof value === 'string' && STACK_SUFFIX_PATTERN.test(value) ? undefined : `must be ${STACK_SUFFIX_RULE}`),
      },
    },
    refused: {
      units: { config: 'cannot switch to new stacks', why: 'a unit is refused or approved as a whole' },
      prepared: { config: 'change sets cannot be deployed to new stacks', why: 'CDK Pipelines deploys the stack' },
    },
  },
  requireApproval: {
    fields: {
      approvers: {
        optional: true,
        check: (value) => (typeof value === 'string' && APPROVER_KEY.test(value) ? undefined
          : 'must be an action\'s approver key (8 hexadecimal characters)'),
      },
      topicArn: { check: (value) => (typeof value === 'string' && /^arn:aws[a-z-]*:sns:/.test(value) ? undefined : 'must be an SNS topic ARN') },
      timeoutSeconds: {
        check: (value) => {
          const { min, max } = APPROVAL_TIMEOUT_SECONDS;
          return Number.isInteger(value) && (value as number) >= min && (value as number) <= max ? undefined : `must be a whole number from ${min} to ${max}`;
        },
      },
    },
    approvalSeconds: (doc) => doc.timeoutSeconds,
  },
};

/** The strategy types, in the table's order. */
export const STRATEGY_TYPES = Object.keys(STRATEGIES) as StrategyType[];

/** The strategy of a document's type; undefined for any other value (`"toString"` too). */
export function strategyOf(type: unknown): Strategy<Record<string, unknown>> | undefined {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(STRATEGIES, type)
    ? STRATEGIES[type as StrategyType] as Strategy<Record<string, unknown>> : undefined;
}

/** Why the strategy of `doc` (any value) cannot go to `place`; undefined when it can, or when it is no strategy. */
export function refusalOf(doc: unknown, place: StrategyPlace): StrategyRefusal | undefined {
  return strategyOf((doc as { type?: unknown } | null | undefined)?.type)?.refused?.[place];
}

/** The static methods of `UnsafeChangeAction` that make the strategies that may go to every one of `places` (all when none is given): `fail(), ... or ...()`. */
export function factoriesFor(places: readonly StrategyPlace[] = []): string {
  const methods = STRATEGY_TYPES.filter((t) => places.every((p) => !strategyOf(t)?.refused?.[p])).map((t) => `${t}()`);
  return methods.length > 1 ? `${methods.slice(0, -1).join(', ')} or ${methods[methods.length - 1]}` : methods.join('');
}

/** The answer a policy function returns. */
export interface FunctionPolicyAnswer {
  readonly verdict: Verdict;
  readonly reasons?: { readonly logicalId?: string; readonly verdict?: Verdict; readonly reason: string }[];
}
