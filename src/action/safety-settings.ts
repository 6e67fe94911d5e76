/**
 * What every gate of this library does with its safety settings, the deploy action and the CDK Pipelines review
 * step alike: bind the policy and the unsafe-change strategy, check that they fit together and the timeout, check
 * the configuration with the validator the functions run (and that it fits CodePipeline's UserParameters), and bind
 * its Lambda invoke action to the pipeline.
 */
import { Annotations, Duration, Token } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, IConstruct } from 'constructs';
import type { PolicyBinding, StrategyBinding } from '../policy/binding';
import { SafetyPolicy } from '../policy/safety-policy';
import type { UnsafeChangeAction } from '../policy/unsafe-change-action';
import { suppressNag } from '../private/nag';
import { POLL_INTERVAL_SECONDS, TIMEOUT_MINUTES, configProblems } from '../shared/config';
import { DEFAULTS, LIMITS } from '../shared/contract';
import { factoriesFor, refusalOf } from '../shared/policy-document';
import type { StrategyPlace } from '../shared/policy-document';
import type { DeployStateMachine } from '../workflow/deploy-state-machine';

/** The settings that decide what happens to a change set. */
export interface SafetySettings {
  readonly safetyPolicy?: SafetyPolicy;
  readonly onUnsafeChange?: UnsafeChangeAction;
  readonly pollInterval?: Duration;
  readonly timeout?: Duration;
}

/** How an error or a warning names the gate: its class (and id), and the construct path it is at. */
export function whereOf(what: string, scope: IConstruct): string {
  return `${what} at ${scope.node.path}`;
}

/** The timeout in seconds (the default when not given, or when it is a token). */
export function timeoutSecondsOf(settings: SafetySettings): number {
  return settings.timeout && !settings.timeout.isUnresolved() ? settings.timeout.toSeconds() : DEFAULTS.timeoutMinutes * 60;
}

/** The poll interval and the timeout: whole seconds and minutes within CodePipeline's and the workflow's bounds. */
export function validateTiming(where: string, settings: SafetySettings): void {
  if (settings.pollInterval && !settings.pollInterval.isUnresolved()) {
    const seconds = settings.pollInterval.toMilliseconds() / 1000;
    const { min, max } = POLL_INTERVAL_SECONDS;
    if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
      throw new Error(`${where}: pollInterval must be a whole number of seconds from ${min} to ${max}, not ${seconds}`);
    }
  }
  if (settings.timeout && !settings.timeout.isUnresolved()) {
    const minutes = settings.timeout.toMinutes({ integral: false });
    const { min, max } = TIMEOUT_MINUTES;
    if (!Number.isInteger(minutes) || minutes < min || minutes > max) {
      throw new Error(`${where}: timeout must be a whole number of minutes from ${min} to ${max} (CodePipeline allows a Lambda action 24 hours), not ${minutes}`);
    }
  }
}

/**
 * Binds the policy (default: no deletions, no replacements) and the strategy to the workflow's task function.
 * An object that only looks like a policy or a strategy gives no document: it is refused, not read as the default.
 * `places` are where the gate puts the strategy, when some strategies cannot go there: a unit of stacks, change sets
 * the pipeline prepared, or both (a review of prepared change sets is a unit too, and the run-time check refuses a
 * strategy in either place). The first place that refuses it names why.
 */
export function bindSafety(
  where: string, scope: Construct, taskFunction: lambda.IFunction, settings: SafetySettings, places: readonly StrategyPlace[] = [],
) {
  const policy = (settings.safetyPolicy ?? SafetyPolicy.denyDestructiveChanges())._bind(scope, taskFunction);
  const strategy = settings.onUnsafeChange?._bind(scope, taskFunction, timeoutSecondsOf(settings));
  if (!policy?.document?.type || (strategy && !strategy.document?.type)) {
    throw new Error(`${where}: safetyPolicy and onUnsafeChange must come from SafetyPolicy and UnsafeChangeAction's static methods`);
  }
  if (strategy) checkStrategy(where, policy, strategy, settings);
  if (strategy) refuseStrategy(where, strategy, places);
  warnApprovalWithoutApprover(where, scope, policy, strategy);
  return { policy, strategy };
}

/** A strategy that asks a person needs a policy that can ask, and a wait that ends before the deadline. */
function checkStrategy(where: string, policy: PolicyBinding, strategy: StrategyBinding, settings: SafetySettings): void {
  const approvalSeconds = strategy.approvalTimeoutSeconds;
  if (approvalSeconds === undefined) return;
  if (!policy.canRequireApproval) {
    throw new Error(`${where}: onUnsafeChange requireApproval() needs a policy that can ask for approval: ` +
      'rules with RuleVerdict.REQUIRE_APPROVAL, SafetyPolicy.fromFunction(), or SafetyPolicy.denyDestructiveChanges() ' +
      'with destructiveChangeVerdict or permissionBroadeningVerdict RuleVerdict.REQUIRE_APPROVAL');
  }
  if (!Token.isUnresolved(approvalSeconds) && approvalSeconds > timeoutSecondsOf(settings)) {
    throw new Error(`${where}: the approval timeout (${approvalSeconds / 60} minutes) is longer than the action's timeout ` +
      `(${timeoutSecondsOf(settings) / 60} minutes): a decision after the action's deadline could never be executed. Give ` +
      'UnsafeChangeAction.requireApproval() a shorter timeout, or the action a longer one');
  }
}

/** How the error names where the gate puts the strategy, after "is not available". */
const PLACE_WORDS: Record<StrategyPlace, string> = { units: ' with stacks', prepared: '' };

/** A strategy that cannot go where the gate puts it is refused, with why and the strategies that can (`STRATEGIES`). */
function refuseStrategy(where: string, strategy: StrategyBinding, places: readonly StrategyPlace[]): void {
  const place = places.find((p) => refusalOf(strategy.document, p));
  if (!place) return;
  throw new Error(`${where}: UnsafeChangeAction.${strategy.document.type}() is not available${PLACE_WORDS[place]}: ` +
    `${refusalOf(strategy.document, place)!.why}; use UnsafeChangeAction.${factoriesFor(places)}`);
}

/**
 * A policy whose rules or destructive-change verdicts give REQUIRE_APPROVAL, under a strategy that asks no one
 * (`fail()`, the default): such a change fails the action exactly as a denied one does. A function policy is left
 * out, as what it answers is not known at synth.
 */
function warnApprovalWithoutApprover(where: string, scope: Construct, policy: PolicyBinding, strategy?: StrategyBinding): void {
  if (!policy.canRequireApproval || policy.document.type === 'function') return;
  if (strategy && strategy.document.type !== 'fail') return;
  Annotations.of(scope).addWarningV2('cdk-stepfunctions-deploy-action:approvalWithoutApprover',
    `${where}: the safety policy gives some changes REQUIRE_APPROVAL, but onUnsafeChange is UnsafeChangeAction.fail()` +
    `${strategy ? '' : ' (the default)'}, which asks no one: such a change fails the action as if it were denied. To have a ` +
    'person decide, give onUnsafeChange: UnsafeChangeAction.requireApproval(...); to refuse such changes, make the rule ' +
    '(or destructiveChangeVerdict / permissionBroadeningVerdict) RuleVerdict.DENY');
}

/** The timing keys of the configuration, written only when given. */
export function timingConfig(settings: SafetySettings) {
  return {
    ...(settings.pollInterval ? { pollIntervalSeconds: settings.pollInterval.toSeconds() } : {}),
    ...(settings.timeout ? { timeoutMinutes: settings.timeout.toMinutes() } : {}),
  };
}

/**
 * Checks a configuration the props make with the functions' own validator, naming the props: what the functions
 * would refuse at run time is refused at synth. A value that is a token is left to the functions. The policy and
 * the strategy are not checked here: their factories made and checked them (`bindSafety`).
 */
export function checkConfig(where: string, config: object): void {
  const { policy: _p, onUnsafe: _o, ...settings } = config as Record<string, unknown>;
  const problems = configProblems(settings, { asProps: true, isUnresolved: (value) => Token.isUnresolved(value) });
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
}

/** UserParameters may hold 1,000 characters; unresolved tokens (role ARNs) are counted at 128. */
export function checkUserParametersLength(where: string, config: object, remedy: string): void {
  const estimate = JSON.stringify(config, (_key, value) =>
    typeof value === 'string' && Token.isUnresolved(value) ? 'x'.repeat(128) : value);
  if (estimate.length > LIMITS.userParameters) {
    throw new Error(
      `${where}: the action's configuration needs about ${estimate.length} characters, over CodePipeline's ` +
      `${LIMITS.userParameters} for UserParameters; ${remedy}`);
  }
}

/**
 * Binds a gate's Lambda invoke action: both functions may confirm this pipeline's jobs with CodePipeline (jobs of
 * other pipelines are refused), and the action role's wildcards, which aws-cdk-lib adds, are recorded with why.
 * `artifacts` says what the action does with the artifact bucket, if anything.
 */
export function bindInvokeAction(
  workflow: DeployStateMachine, inner: cpactions.LambdaInvokeAction, scope: Construct, stage: codepipeline.IStage,
  options: codepipeline.ActionBindOptions, artifacts?: string,
): codepipeline.ActionConfig {
  workflow._grantPipeline(stage.pipeline);
  const config = inner.bind(scope, stage, options);
  suppressNag(options.role.node.tryFindChild('DefaultPolicy'), [{
    id: 'AwsSolutions-IAM5',
    reason: 'Added by aws-cdk-lib\'s LambdaInvokeAction for this action: lambda:ListFunctions supports no resource-level permissions, ' +
      `the trigger is invoked by ARN and qualified ARN${artifacts ? `, and the action ${artifacts}` : ''}`,
  }]);
  return config;
}
