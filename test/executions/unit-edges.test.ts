/**
 * A unit's clean-up after an error at its edge: when the clean-up itself fails, the execution still ends with the
 * error that stopped the unit, not the clean-up's.
 */
import { awsError, resourceChange } from '../fakes';
import { S, causeMessage, createWorld, deploymentFor, issueJobFor, runWorkflow, smallTemplate, synthesizeWorkflow } from './harness';

const SAFE = [resourceChange('Modify', 'Queue', 'AWS::SQS::Queue', 'False')];
const [NETWORK, DATA, APP] = ['prod-network', 'prod-data', 'prod-app'];

test('GIVEN an error after the first stack\'s change set started executing and a clean-up that cannot delete the later change sets ' +
  'WHEN the unit fails THEN the execution reports the error that stopped the unit, not the clean-up\'s', async () => {
  // GIVEN: DescribeStacks is refused once network's change set is executing; every DeleteChangeSet is refused too.
  const synthesized = synthesizeWorkflow({
    environmentName: 'prod',
    stacks: ['network', 'data', 'app'].map((name) => ({ stackName: name, templatePath: `${name}.json` })),
  });
  const world = createWorld({ files: { 'network.json': smallTemplate('network'), 'data.json': smallTemplate('data'), 'app.json': smallTemplate('app') } });
  for (const name of [NETWORK, DATA, APP]) {
    world.cfn.putStack(name, 'UPDATE_COMPLETE');
    world.cfn.scripts.set(name, { changeSet: { changes: SAFE } });
  }
  world.cfn.beforeCall = (op) => {
    if (op === 'DescribeStacks' && world.cfn.callsOf('ExecuteChangeSet').length > 0) {
      throw awsError('AccessDenied', 'User is not authorized to perform: cloudformation:DescribeStacks');
    }
    if (op === 'DeleteChangeSet') throw awsError('InsufficientCapabilitiesException', 'the clean-up\'s own failure');
  };
  const deployment = deploymentFor(undefined, synthesized);
  issueJobFor(world, deployment, synthesized.userParameters);

  // WHEN
  const run = await runWorkflow({ deployment }, world.deps, { synthesized });

  // THEN
  expect(run.status).toBe('FAILED');
  expect(run.path).toContain(S.cleanUpUnitAfterError);
  expect(run.error).toBe('AccessDenied');
  expect(causeMessage(run.cause)).toContain('not authorized to perform: cloudformation:DescribeStacks');
  expect(run.cause).not.toContain('the clean-up\'s own failure');
  expect(world.cfn.callsOf('ExecuteChangeSet').map((c) => c.input.StackName)).toEqual([NETWORK]);
});
