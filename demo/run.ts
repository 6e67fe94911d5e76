/** `npm run demo`: the deploy workflow end to end on the moto emulator. */
import { runDemo } from './lib/run-demo';

runDemo().then(
  (results) => {
    const expected = ['SUCCEEDED', 'SUCCEEDED', 'FAILED', 'FAILED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED', 'FAILED'];
    const ok = results.length === expected.length && results.every((r, i) => r.pipelineStatus === expected[i]);
    console.log(ok ? '\nDemo finished: create and safe update succeeded, the unsafe update was rejected; ' +
      'nothing was deployed while the orders alarm was in ALARM; the release of three stacks was created, and its unsafe update executed nothing; CDK Pipelines\' stack was created after ' +
      'its review, and the commit removing its table was refused before CDK Pipelines\' deploy action ran.'
      : '\nDemo finished with unexpected results.');
    process.exitCode = ok ? 0 : 1;
  },
  (error) => {
    console.error(`Demo failed: ${error instanceof Error ? error.stack : error}`);
    process.exitCode = 1;
  },
);
