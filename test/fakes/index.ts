/**
 * The fake AWS services of the tests and the benchmark, one module per service: stateful models of the behaviour
 * the handlers and the workflow depend on (statuses that change from one call to the next, paging, AWS's errors),
 * each on `aws-sdk-client-mock` over one client instance (never the client class), so tests stay isolated.
 */
export * from './aws';
export * from './cloudformation';
export * from './cloudformation-nested';
export * from './cloudwatch';
export * from './codepipeline';
export * from './lambda';
export * from './s3';
export * from './sfn';
export * from './sns';
export * from './stack-events';
