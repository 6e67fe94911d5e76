/**
 * A strategy where it cannot go (deployToNewStack for a unit or prepared change sets), or where no one may set it
 * (a stack of a unit, the S3 input file), written in a configuration the construct would never make: the run-time
 * check refuses each, whatever the shape (prototype keys, null for a value, another type), and an execution started
 * with such a deployment deploys nothing.
 */
import { validateConfig } from '../../src/shared/config';
import type { Deployment } from '../../src/shared/contract';
import { S, createUnitWorld, deploymentFor, issueJobFor, runWorkflow, synthesizeUnit } from '../executions/harness';
import { resourceChange } from '../fakes';

const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:approvals';
const ONE = { v: 1, stackName: 'app', templatePath: 'app.json' };
const FILE = { s3Bucket: 'settings', stateMachineFile: 'app.json' };

// Every row names its S3 input file (undefined: none): jest gives a test function with more parameters than the row a callback.
test.each<[string, Record<string, unknown>, Record<string, unknown> | undefined]>([
  ['a unit with deployToNewStack', { v: 1, stacks: ['a', 'b'], onUnsafe: { type: 'deployToNewStack', suffix: 'g' } }, undefined],
  ['prepared change sets with deployToNewStack', { v: 1, prepared: 'PipelineChange', stacks: ['a'], onUnsafe: { type: 'deployToNewStack' } }, undefined],
  ['a strategy on a stack of a unit', { v: 1, stacks: [{ stackName: 'a', onUnsafe: { type: 'deployToNewStack' } }] }, undefined],
  ['a strategy on a stack of prepared change sets', { v: 1, prepared: 'PipelineChange', stacks: [{ stackName: 'a', onUnsafe: { type: 'fail' } }] }, undefined],
  ['a strategy in the S3 input file', { ...ONE, ...FILE }, { onUnsafe: { type: 'deployToNewStack' } }],
  ['a strategy under "__proto__" in the S3 input file', { ...ONE, ...FILE }, JSON.parse('{"__proto__": {"onUnsafe": {"type": "deployToNewStack"}}}')],
  ['a strategy whose type is under "__proto__"', JSON.parse('{"v":1,"stackName":"app","templatePath":"app.json","onUnsafe":{"__proto__":{"type":"deployToNewStack"}}}'), undefined],
  ['a strategy that is a list', { ...ONE, onUnsafe: [{ type: 'fail' }] }, undefined],
  ['a strategy that is null', { ...ONE, onUnsafe: null }, undefined],
  ['a suffix that is null', { ...ONE, onUnsafe: { type: 'deployToNewStack', suffix: null } }, undefined],
  ['approvers of every action ("*")', { ...ONE, onUnsafe: { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: 60, approvers: '*' } }, undefined],
  ['an approval timeout that is null', { ...ONE, onUnsafe: { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: null } }, undefined],
  ['an approval timeout that is a text', { ...ONE, onUnsafe: { type: 'requireApproval', topicArn: TOPIC, timeoutSeconds: '3600' } }, undefined],
  ['prepared change sets named null, with deployToNewStack', { v: 1, prepared: null, stacks: ['a'], onUnsafe: { type: 'deployToNewStack' } }, undefined],
])('GIVEN UserParameters with %s WHEN checked at run time THEN they are refused', (_what, params, file) => {
  expect(() => validateConfig(params, file)).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
});

test('GIVEN a unit\'s job WHEN an execution is started under the job\'s name with its deployment switched to deployToNewStack THEN ' +
  'the first task refuses it and nothing is created or executed', async () => {
  const world = createUnitWorld([resourceChange('Remove', 'Table', 'AWS::DynamoDB::Table')]);
  const synthesized = synthesizeUnit();
  const deployment = deploymentFor(undefined, synthesized);
  issueJobFor(world, deployment, synthesized.userParameters);
  const forged = { ...deployment, onUnsafe: { type: 'deployToNewStack' } } as Deployment;

  const run = await runWorkflow({ deployment: forged }, world.deps, { synthesized });

  expect(run).toMatchObject({ status: 'FAILED', error: 'UnconfirmedDeployment' });
  expect(run.path).toEqual([S.confirmJob, S.deploymentErrored]);
  expect(world.cfn.calls.filter((c) => ['CreateChangeSet', 'ExecuteChangeSet', 'CreateStack'].includes(c.op))).toEqual([]);
});
