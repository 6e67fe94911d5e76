/**
 * End to end on the moto emulator (the demo, as a test): the built trigger and task assets, real HTTP to
 * moto for CloudFormation and S3. Asserts on moto's final state after each scenario.
 */
import * as fs from 'fs';
import { ASSETS, runDemo } from '../../demo/lib/run-demo';
import type { ScenarioResult } from '../../demo/lib/run-demo';
import { CODEPIPELINE_REINVOCATION_SECONDS } from '../../demo/lib/virtual-time';
import { STATE_NAMES as S, forUnitStack } from '../../src/shared/state-names';

jest.setTimeout(180_000);

let results: ScenarioResult[];
const trace: string[] = [];

beforeAll(async () => {
  for (const asset of Object.values(ASSETS)) {
    if (!fs.existsSync(asset)) throw new Error(`${asset} is missing: run npx projen bundle (npx projen test does)`);
  }
  results = await runDemo({ outDir: fs.mkdtempSync('/tmp/demo-out-'), print: (line) => trace.push(line) });
});

function scenario(id: string): ScenarioResult {
  const found = results.find((r) => r.id === id);
  if (!found) throw new Error(`no scenario ${id}; trace:\n${trace.join('\n')}`);
  return found;
}

test('GIVEN no stack WHEN the pipeline deploys template v1 THEN moto holds the new stack with its resources and the action succeeds', () => {
  const result = scenario('1-create');
  expect(result.pipelineStatus).toBe('SUCCEEDED');
  expect(result.stack).toEqual({ status: 'CREATE_COMPLETE', resources: ['AlertsTopic', 'OrdersQueue'] });
  expect(result.states).toEqual(expect.arrayContaining(['Create Stack', 'Stack Created?', 'Deployment Succeeded']));
  expect(result.outputVariables).toMatchObject({ StackName: 'demo-orders', Outcome: 'CREATED' });
});

test('GIVEN the stack WHEN a queue is added THEN the change set is executed and moto\'s stack shows the queue', () => {
  const result = scenario('2-safe-update');
  expect(result.pipelineStatus).toBe('SUCCEEDED');
  expect(result.inspection).toMatchObject({ verdict: 'ALLOW', counts: { Add: 1 } });
  expect(result.states).toEqual(expect.arrayContaining(['Execute Change Set', 'Get Stack Update Status', 'Deployment Succeeded']));
  expect(result.stack).toEqual({ status: 'UPDATE_COMPLETE', resources: ['AlertsTopic', 'OrdersDeadLetterQueue', 'OrdersQueue'] });
});

test('GIVEN the stack WHEN the topic is removed THEN the change set is deleted, the action fails naming it, and moto\'s stack is untouched', () => {
  const result = scenario('3-unsafe-update');
  expect(result.pipelineStatus).toBe('FAILED');
  expect(result.pipelineMessage).toMatch(/UnsafeChangeSet/);
  expect(result.pipelineMessage).toMatch(/AlertsTopic \(AWS::SNS::Topic\): Remove refused by no-deletion/);
  expect(result.states).not.toContain('Execute Change Set');
  expect(result.states).toEqual(expect.arrayContaining(['Delete Unsafe Change Set', 'Deployment Rejected']));
  expect(result.stack).toEqual({ status: 'UPDATE_COMPLETE', resources: ['AlertsTopic', 'OrdersDeadLetterQueue', 'OrdersQueue'] });
});

test('GIVEN the orders alarm in ALARM (moto keeps alarm states) WHEN the pipeline runs THEN nothing is deployed, the action fails naming the alarm and its reason, and moto\'s stack is untouched', () => {
  const result = scenario('3b-alarm-firing');
  expect(result.pipelineStatus).toBe('FAILED');
  expect(result.pipelineMessage).toContain('Not deploying stack demo-orders: alarm demo-orders-errors is in ALARM (Threshold Crossed');
  expect(result.states).not.toContain('Create Change Set');
  expect(result.states).not.toContain('Execute Change Set');
  expect(result.stack).toEqual({ status: 'UPDATE_COMPLETE', resources: ['AlertsTopic', 'OrdersDeadLetterQueue', 'OrdersQueue'] });
});

test('GIVEN a release of three new stacks WHEN the unit action deploys it THEN moto holds the three stacks, created in order', () => {
  const result = scenario('4a-unit-create');
  expect(result.pipelineStatus).toBe('SUCCEEDED');
  expect(result.outputVariables).toMatchObject({ 'Outcome': 'DEPLOYED', 'demo-network_Outcome': 'CREATED', 'demo-web_Outcome': 'CREATED' });
  expect(result.stacks).toEqual({
    'demo-network': { status: 'CREATE_COMPLETE', resources: ['NetworkEvents'], changeSets: [] },
    'demo-data': { status: 'CREATE_COMPLETE', resources: ['IngestQueue'], changeSets: [] },
    'demo-web': { status: 'CREATE_COMPLETE', resources: ['WebAlerts', 'WebQueue'], changeSets: [] },
  });
});

test('GIVEN the release WHEN its third stack removes a topic THEN nothing of the unit is executed, every change set is deleted and the message names that change only', () => {
  const result = scenario('4b-unit-unsafe');
  expect(result.pipelineStatus).toBe('FAILED');
  expect(result.pipelineMessage).toMatch(/UnsafeChangeSet/);
  expect(result.pipelineMessage).toMatch(/for stack demo-web is refused .*WebAlerts \(AWS::SNS::Topic\): Remove refused by no-deletion/);
  expect(result.pipelineMessage).not.toMatch(/for stack demo-(network|data) is refused/);
  expect(result.pipelineMessage).toContain('Untouched: demo-network, demo-data, demo-web.');
  expect(result.states).not.toContain(forUnitStack(S.executeChangeSet));
  expect(result.states.filter((s) => s === forUnitStack(S.inspectChangeSet))).toHaveLength(3);
  // moto's stacks are as the first release left them (the safe changes of the first two were not executed either),
  // and no change set is left on any of them.
  expect(result.stacks).toEqual({
    'demo-network': { status: 'CREATE_COMPLETE', resources: ['NetworkEvents'], changeSets: [] },
    'demo-data': { status: 'CREATE_COMPLETE', resources: ['IngestQueue'], changeSets: [] },
    'demo-web': { status: 'CREATE_COMPLETE', resources: ['WebAlerts', 'WebQueue'], changeSets: [] },
  });
});

test('GIVEN CodePipeline\'s virtual clock WHEN AWS answers at once THEN each scenario ends at the second invocation, one re-invocation period after the job started', () => {
  // The reviews of CDK Pipelines' prepared change sets wait for nothing: the change set is complete, and they start no operation.
  const reviews = results.filter((r) => r.id.includes('cdk-pipelines'));
  expect(reviews).toHaveLength(2);
  expect(reviews.map((r) => [r.id, r.triggerInvocations, r.waitedSeconds, r.states.filter((s) => /^(Await|Wait) /.test(s))])).toEqual(
    reviews.map((r) => [r.id, 2, 0, []]));
  // The alarm scenario stops at the stack check: no Wait, no Await.
  for (const result of results.filter((r) => !reviews.includes(r) && r.id !== '3b-alarm-firing')) {
    // The execution is over before CodePipeline calls again, 30 s later: a change set's creation is waited for
    // (5 s Waits); a stack operation's wait starts with one Wait of the poll interval (5 s), then the operation's end
    // wakes the execution (the demo's stand-in for the status events).
    expect([result.id, result.triggerInvocations, result.elapsedSeconds]).toEqual([result.id, 2, CODEPIPELINE_REINVOCATION_SECONDS]);
    expect(result.waitedSeconds).toBeLessThan(CODEPIPELINE_REINVOCATION_SECONDS);
    expect([result.id, result.waitedSeconds > 0]).toEqual([result.id, true]);
    if (result.pipelineStatus === 'SUCCEEDED') expect(result.states.filter((s) => s.startsWith('Await '))).not.toHaveLength(0);
    // Never polled: every read of an operation's stack comes right after its Await, and each Await comes once.
    const reads = result.states.flatMap((s, i) => (/^Get (Unit )?Stack (Creation|Update|Deletion) Status$/.test(s) ? [result.states[i - 1]] : []));
    expect([result.id, reads.filter((before) => !before.startsWith('Await '))]).toEqual([result.id, []]);
    expect([result.id, result.states.filter((s) => /^Wait (Unit )?Stack (Creation|Update|Deletion)$/.test(s)).length]).toEqual([result.id, reads.length]);
  }
  // The six scenarios of the Prod and Release actions (the alarm scenario's too); the reviews print their own.
  expect(trace.filter((line) => line.includes('2 trigger invocations over 30 s (simulated'))).toHaveLength(6);
});

test('every scenario writes a picture of the graph with its path', () => {
  for (const result of results) {
    const svg = fs.readFileSync(result.graph, 'utf8');
    expect(svg).toMatch(/^<svg/);
    // visited states are filled green; the last state of a failed run red; catches drawn dashed, and a legend
    expect(svg).toContain('#d2f4d9');
    expect(svg).toMatch(/<path class="edge" [^>]*data-kind="catch"[^>]*stroke-dasharray/);
    expect(svg).toContain('<g class="legend">');
  }
  expect(fs.readFileSync(scenario('3-unsafe-update').graph, 'utf8')).toContain('#ffd7d5');
});

test('GIVEN a CDK Pipelines stage whose first commit creates a stack with a table WHEN its prepared change set is reviewed THEN it is allowed, and CDK Pipelines\' deploy action creates the stack in moto', () => {
  const result = scenario('5a-cdk-pipelines-create');
  expect(result.pipelineStatus).toBe('SUCCEEDED');
  expect(result.outputVariables).toMatchObject({ 'Outcome': 'ALLOWED', 'Shop-Data_Outcome': 'ALLOWED' });
  expect(result.states).not.toContain(forUnitStack(S.executeChangeSet));
  expect(result.states).not.toContain(forUnitStack(S.createChangeSet));
  expect(result.stacks?.['Shop-Data']).toMatchObject({ status: 'CREATE_COMPLETE', changeSets: ['PipelineChange (CREATE_COMPLETE, EXECUTE_COMPLETE)'] });
  expect(result.stack.resources.some((r) => r.startsWith('Orders'))).toBe(true);
});

test('GIVEN the second commit removes the table WHEN its prepared change set is reviewed THEN the action fails naming the table, the change set is deleted, the deploy action never runs, and moto still has the table', () => {
  const result = scenario('5b-cdk-pipelines-unsafe');
  expect(result.pipelineStatus).toBe('FAILED');
  expect(result.pipelineMessage).toMatch(/UnsafeChangeSet/);
  expect(result.pipelineMessage).toMatch(/Orders\w+ \(AWS::DynamoDB::Table\): Remove refused by no-deletion/);
  expect(result.stacks?.['Shop-Data']).toMatchObject({ status: 'CREATE_COMPLETE', changeSets: [] });
  expect(result.stack.resources.some((r) => r.startsWith('Orders'))).toBe(true);
});
