export * from './action/step-functions-deploy-action';
export * from './workflow/deploy-state-machine';
export * from './policy/safety-policy';
export * from './policy/unsafe-change-action';
