export * from './action/step-functions-deploy-action';
export * from './action/change-set-review-step';
export * from './workflow/deploy-state-machine';
export * from './policy/safety-policy';
export { ChangeAction, DriftStatus, PolicyAction, Replacement, RuleVerdict } from './shared/policy-vocabulary';
export type { SafetyRule } from './shared/policy-vocabulary';
export * from './policy/unsafe-change-action';
