/**
 * The state-machine picture of the real deploy workflow (synthesized as the construct builds it), for the
 * paths an execution takes: every state has a box, every transition an arrow that goes around the boxes,
 * choice and catch arrows are labelled, catches are dashed, the path taken is green and bold, the state an
 * execution failed in is red, and the same input gives the same bytes.
 */
import { boxesOverlap, onBorder, readPicture, segmentCrossesBox } from './svg';
import type { Box, DrawnPicture } from './svg';
import { readDefinition, renderPicture, transitionsOf } from '../../src/picture';
import type { AslDefinition, ExecutionTrace } from '../../src/picture';
import { S, synthesizeWorkflow } from '../executions/harness';

const GREEN = '#1a7f37';

let definition: AslDefinition;
beforeAll(() => {
  definition = readDefinition(synthesizeWorkflow().definition).definition;
});

/** The paths of the demo's scenarios and of the approval and error paths. */
const TRACES: Record<string, ExecutionTrace> = {
  create: {
    states: [S.readTemplate, S.checkStack, S.doesStackExist, S.createStack, S.waitStackCreation, S.getStackCreationStatus,
      S.stackCreated, S.waitStackCreation, S.getStackCreationStatus, S.stackCreated, S.deploymentSucceeded],
    status: 'SUCCEEDED',
  },
  safeUpdate: {
    states: [S.readTemplate, S.checkStack, S.doesStackExist, S.createChangeSet, S.waitChangeSetCreation, S.getChangeSetCreationStatus,
      S.changeSetCreated, S.inspectChangeSet, S.safeToUpdate, S.executeChangeSet, S.waitStackUpdate, S.getStackUpdateStatus,
      S.stackUpdated, S.deploymentSucceeded],
    status: 'SUCCEEDED',
  },
  unsafeUpdate: {
    states: [S.readTemplate, S.checkStack, S.doesStackExist, S.createChangeSet, S.waitChangeSetCreation, S.getChangeSetCreationStatus,
      S.changeSetCreated, S.inspectChangeSet, S.safeToUpdate, S.deleteUnsafeChangeSet, S.deployToNewStack, S.deploymentRejected],
    failedState: S.deploymentRejected,
    status: 'FAILED',
  },
  approvalRejected: {
    states: [S.readTemplate, S.checkStack, S.doesStackExist, S.createChangeSet, S.waitChangeSetCreation, S.getChangeSetCreationStatus,
      S.changeSetCreated, S.inspectChangeSet, S.safeToUpdate, S.waitForApproval, S.deleteRejectedChangeSet, S.approvalRejected],
    exitErrors: [...Array(9).fill(undefined), 'ApprovalRejected', undefined, 'ApprovalRejected'],
    failedState: S.approvalRejected,
    status: 'FAILED',
  },
  cleanupFailed: {
    states: [S.readTemplate, S.checkStack, S.doesStackExist, S.createChangeSet, S.waitChangeSetCreation, S.getChangeSetCreationStatus,
      S.changeSetCreated, S.inspectChangeSet, S.safeToUpdate, S.executeChangeSet, S.cleanUpAfterError, S.deploymentErrored],
    exitErrors: [...Array(9).fill(undefined), 'CloudFormation.ValidationError', 'AccessDenied', 'States.Runtime'],
    failedState: S.deploymentErrored,
    status: 'FAILED',
  },
};

const pictures = new Map<string, { svg: string; drawn: DrawnPicture }>();
async function picture(name: string): Promise<DrawnPicture> {
  if (!pictures.has(name)) {
    const svg = await renderPicture(definition, TRACES[name], { title: `${name} <&> "path"` });
    pictures.set(name, { svg, drawn: readPicture(svg) });
  }
  return pictures.get(name)!.drawn;
}

const boxOf = (drawn: DrawnPicture, node: string): Box => drawn.states.get(node)?.box ?? drawn.terminals.get(node === '__start__' ? 'start' : 'end')!;

describe.each(Object.keys(TRACES))('the %s picture', (name) => {
  test('GIVEN the deploy workflow WHEN drawn THEN every state has one box, and boxes do not overlap', async () => {
    const drawn = await picture(name);
    expect([...drawn.states.keys()].sort()).toEqual(Object.keys(definition.States).sort());
    const boxes = [...drawn.states.values()].map((s) => s.box).concat([...drawn.terminals.values()]);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) expect(boxesOverlap(boxes[i], boxes[j])).toBe(false);
    }
  });

  test('GIVEN the deploy workflow WHEN drawn THEN every transition (Next, Choices, Default, Catch) has exactly one arrow', async () => {
    const drawn = await picture(name);
    const expected = transitionsOf(definition).map((t) => `${t.from} -${t.kind}-> ${t.to ?? '__end__'}`);
    expected.push(`__start__ -next-> ${definition.StartAt}`);
    const actual = drawn.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`);
    expect(actual.sort()).toEqual(expected.sort());
    expect(drawn.edges.filter((e) => e.kind === 'catch').length).toBeGreaterThan(20);
    for (const edge of drawn.edges) {
      expect(edge.points.length).toBeGreaterThanOrEqual(2);
      expect(edge.marker).toMatch(/^url\(#arrow/);
    }
  });

  test('GIVEN the drawn arrows WHEN their segments are checked against every box THEN none passes through a box it does not start or end at', async () => {
    const drawn = await picture(name);
    const crossings: string[] = [];
    for (const edge of drawn.edges) {
      const ends = new Set([edge.from, edge.to]);
      const others = [...drawn.states.values()].filter((s) => !ends.has(s.name)).map((s): [string, Box] => [s.name, s.box]);
      for (const [terminal, box] of drawn.terminals) if (!ends.has(`__${terminal}__`)) others.push([terminal, box]);
      for (let i = 0; i + 1 < edge.points.length; i++) {
        for (const [other, box] of others) {
          if (segmentCrossesBox(edge.points[i], edge.points[i + 1], box)) crossings.push(`${edge.from} -> ${edge.to} crosses ${other}`);
        }
      }
      // Arrows start and end on their own boxes' borders, so they are seen to leave and reach them.
      expect(onBorder(edge.points[0], boxOf(drawn, edge.from))).toBe(true);
      expect(onBorder(edge.points[edge.points.length - 1], boxOf(drawn, edge.to))).toBe(true);
    }
    expect(crossings).toEqual([]);
  });

  test('GIVEN the drawn labels THEN each sits clear of every state box', async () => {
    const drawn = await picture(name);
    const overlaps: string[] = [];
    for (const edge of drawn.edges.filter((e) => e.labelBox)) {
      for (const state of drawn.states.values()) if (boxesOverlap(edge.labelBox!, state.box)) overlaps.push(`${edge.label} on ${state.name}`);
    }
    expect(drawn.edges.filter((e) => e.labelBox).length).toBeGreaterThan(30);
    expect(overlaps).toEqual([]);
  });

  test('GIVEN choice and catch transitions THEN choices carry their condition or "otherwise", catches are dashed and carry their errors', async () => {
    const drawn = await picture(name);
    for (const edge of drawn.edges) {
      if (edge.kind === 'choice') expect(edge.label).toMatch(/\S/);
      if (edge.kind === 'default') expect(edge.label).toBe('otherwise');
      if (edge.kind === 'catch') {
        expect(edge.dashed).toBe(true);
        expect(edge.label).toMatch(/^(States\.\w+|[A-Za-z.]+)(, [A-Za-z.]+)*$/);
      } else {
        expect(edge.dashed).toBe(false);
      }
      if (edge.kind === 'next' || edge.kind === 'end') expect(edge.label).toBeUndefined();
    }
    const label = (from: string, to: string, kind = 'choice') => drawn.edges.find((e) => e.from === from && e.to === to && e.kind === kind)?.label;
    expect(label(S.stackUpdated, S.deploymentSucceeded)).toBe('$.operation.outcome == "SUCCEEDED"');
    expect(label(S.stackUpdated, S.stackUpdateFailed, 'default')).toBe('otherwise');
    expect(label(S.deployToNewStack, S.switchToNewStack)).toBe(
      'and( $.deployment.onUnsafe.type == "deployToNewStack", not present $.deployment.previousStackName)');
    expect(label(S.waitForApproval, S.deleteRejectedChangeSet, 'catch')).toBe('ApprovalRejected');
    expect(label(S.waitForApproval, S.deleteExpiredChangeSet, 'catch')).toBe('States.Timeout');
    expect(label(S.createStack, S.deploymentErrored, 'catch')).toBe('States.DataLimitExceeded, States.ALL');
  });

  test('GIVEN the execution THEN the states it entered and the transitions it took are green and bold, the rest grey, the failed state red', async () => {
    const drawn = await picture(name);
    const trace = TRACES[name];
    for (const state of drawn.states.values()) {
      expect([state.name, state.visited]).toEqual([state.name, trace.states.includes(state.name)]);
      expect([state.name, state.failed]).toEqual([state.name, trace.failedState === state.name]);
      if (state.failed) expect(state.fill).toBe('#ffd7d5');
      else if (state.visited) expect(state.fill).toBe('#d2f4d9');
    }
    const steps = new Set(trace.states.slice(1).map((to, i) => `${trace.states[i]} -> ${to}`));
    steps.add(`__start__ -> ${definition.StartAt}`);
    for (const edge of drawn.edges) {
      const expected = steps.has(`${edge.from} -> ${edge.to}`);
      expect([edge.from, edge.to, edge.kind, edge.taken]).toEqual([edge.from, edge.to, edge.kind,
        // Delete Change Set After Error reaches Deployment Errored by its Next and by its Catch: the trace's error says which.
        expected && !(edge.from === S.cleanUpAfterError && edge.kind === (name === 'cleanupFailed' ? 'next' : 'catch'))]);
      expect(edge.stroke).toBe(edge.taken ? GREEN : '#6e7781');
      expect(edge.strokeWidth).toBeGreaterThan(edge.taken ? 2 : 0);
      expect(edge.strokeWidth).toBeLessThan(edge.taken ? 10 : 2);
    }
    // each step of the trace is one green arrow at least
    for (const step of steps) expect(drawn.edges.some((e) => e.taken && `${e.from} -> ${e.to}` === step)).toBe(true);
  });

  test('GIVEN the picture THEN it has its title (escaped for XML) and a legend of the colours and line styles', async () => {
    const drawn = await picture(name);
    const { svg } = pictures.get(name)!;
    expect(drawn.title).toBe(`${name} <&> "path"`);
    expect(svg).toContain(`${name} &lt;&amp;&gt; &quot;path&quot;`);
    expect(drawn.legend).toContain('state entered');
    expect(drawn.legend).toContain('state the execution failed in');
    expect(drawn.legend).toContain('transition taken');
    expect(drawn.legend).toMatch(/stroke-dasharray="6 4"[^\n]*Catch/);
    expect(drawn.legend).toContain('otherwise');
  });
});

test('GIVEN the same definition and trace WHEN drawn twice THEN the SVG bytes are the same; another trace changes the colours, not the layout', async () => {
  const first = await renderPicture(definition, TRACES.unsafeUpdate, { title: 't' });
  const second = await renderPicture(definition, TRACES.unsafeUpdate, { title: 't' });
  expect(second).toBe(first);
  const other = readPicture(await renderPicture(definition, TRACES.create, { title: 't' }));
  const drawn = readPicture(first);
  for (const [name, state] of drawn.states) expect(other.states.get(name)!.box).toEqual(state.box);
});

test('GIVEN the 3-unsafe-update path WHEN drawn THEN the edge from "Stack Updated?" to "Deployment Succeeded" does not run through "Stack Creation Failed"', async () => {
  // The review's finding on the old hand layout.
  const drawn = await picture('unsafeUpdate');
  const edge = drawn.edges.find((e) => e.from === S.stackUpdated && e.to === S.deploymentSucceeded)!;
  const box = drawn.states.get(S.stackCreationFailed)!.box;
  expect(edge.points.slice(1).some((p, i) => segmentCrossesBox(edge.points[i], p, box))).toBe(false);
});

describe('segmentCrossesBox (the test geometry itself)', () => {
  const box = { x: 10, y: 10, width: 20, height: 10 };
  test.each([
    [{ x: 0, y: 15 }, { x: 40, y: 15 }, true],
    [{ x: 20, y: 0 }, { x: 20, y: 30 }, true],
    [{ x: 0, y: 0 }, { x: 40, y: 30 }, true],
    [{ x: 15, y: 12 }, { x: 16, y: 13 }, true],
    [{ x: 0, y: 10 }, { x: 40, y: 10 }, false],
    [{ x: 10, y: 0 }, { x: 10, y: 30 }, false],
    [{ x: 0, y: 5 }, { x: 40, y: 5 }, false],
    [{ x: 0, y: 0 }, { x: 9, y: 30 }, false],
    [{ x: 20, y: 0 }, { x: 20, y: 10 }, false],
  ])('GIVEN a segment from %o to %o THEN it crosses the box: %s', (a, b, expected) => {
    expect(segmentCrossesBox(a, b, box)).toBe(expected);
  });
});

describe('a state with several Catches', () => {
  const catching: AslDefinition = {
    StartAt: 'Work',
    States: {
      'Work': {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Next: 'Done',
        Catch: [
          { ErrorEquals: ['States.DataLimitExceeded'], Next: 'Handle' },
          { ErrorEquals: ['Retryable'], Next: 'Retry Later' },
          { ErrorEquals: ['States.ALL'], Next: 'Handle' },
        ],
      },
      'Retry Later': { Type: 'Pass', End: true },
      'Handle': { Type: 'Fail' },
      'Done': { Type: 'Succeed' },
    },
  };

  test('GIVEN two Catches to the same state WHEN drawn THEN they are one dashed arrow labelled with all their errors, taken for either', async () => {
    for (const error of ['States.DataLimitExceeded', 'Boom']) {
      const drawn = readPicture(await renderPicture(catching, { states: ['Work', 'Handle'], exitErrors: [error, undefined], failedState: 'Handle', status: 'FAILED' }));
      const catches = drawn.edges.filter((e) => e.kind === 'catch').map((e) => [e.to, e.label, e.taken]);
      expect(catches.sort()).toEqual([['Handle', 'States.DataLimitExceeded, States.ALL', true], ['Retry Later', 'Retryable', false]]);
    }
    const retried = readPicture(await renderPicture(catching, { states: ['Work', 'Retry Later'], exitErrors: ['Retryable', undefined], status: 'SUCCEEDED' }));
    expect(retried.edges.filter((e) => e.taken).map((e) => `${e.from} -${e.kind}-> ${e.to}`).sort())
      .toEqual(['Retry Later -end-> __end__', 'Work -catch-> Retry Later', '__start__ -next-> Work']);
  });
});

describe('a definition with Pass, Parallel, Map and End, and names that need escaping', () => {
  const small: AslDefinition = {
    StartAt: 'Prepare <input>',
    States: {
      'Prepare <input>': { Type: 'Pass', Next: 'Check "A" & \'B\'' },
      'Check "A" & \'B\'': {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'Lint', States: { Lint: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } },
          { StartAt: 'Scan', States: { Scan: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } },
        ],
        Next: 'Each Region',
        Catch: [{ ErrorEquals: ['Scan.Failed', 'States.Timeout'], Next: 'Report' }],
      },
      'Each Region': {
        Type: 'Map',
        ItemProcessor: { StartAt: 'Deploy Region', States: { 'Deploy Region': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } },
        Next: 'Wait A Bit',
      },
      'Wait A Bit': { Type: 'Wait', Seconds: 5, Next: 'Report' },
      'Report': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true },
    },
  };

  test('GIVEN a run that failed inside a Parallel branch and was caught WHEN drawn THEN the Parallel is visited, the catch taken, names escaped, the End reached', async () => {
    const svg = await renderPicture(small, {
      states: ['Prepare <input>', 'Check "A" & \'B\'', 'Lint', 'Scan', 'Report'],
      exitErrors: [undefined, undefined, undefined, 'Scan.Failed', undefined],
      status: 'SUCCEEDED',
    });
    expect(svg).toContain('data-state="Check &quot;A&quot; &amp; &apos;B&apos;"');
    expect(svg).toContain('>Prepare &lt;input&gt;</text>');
    expect(svg).not.toMatch(/<input>|"A" &/);
    const drawn = readPicture(svg);
    expect([...drawn.states.keys()].sort()).toEqual(Object.keys(small.States).sort());
    expect(drawn.states.get('Check "A" & \'B\'')).toMatchObject({ visited: true, type: 'Parallel' });
    expect(drawn.states.get('Each Region')).toMatchObject({ visited: false, type: 'Map' });
    const taken = drawn.edges.filter((e) => e.taken).map((e) => `${e.from} -${e.kind}-> ${e.to}`);
    expect(taken.sort()).toEqual([
      '__start__ -next-> Prepare <input>',
      'Prepare <input> -next-> Check "A" & \'B\'',
      'Check "A" & \'B\' -catch-> Report',
      'Report -end-> __end__',
    ].sort());
    expect(drawn.terminals.has('end')).toBe(true);
    expect(drawn.edges.find((e) => e.kind === 'catch')).toMatchObject({ label: 'Scan.Failed, States.Timeout', dashed: true });
  });

  test('GIVEN a run that failed inside a Map iteration WHEN drawn THEN the Map state is the failed one, in red', async () => {
    const drawn = readPicture(await renderPicture(small, {
      states: ['Prepare <input>', 'Check "A" & \'B\'', 'Lint', 'Scan', 'Each Region', 'Deploy Region', 'Deploy Region'],
      failedState: 'Deploy Region',
      status: 'FAILED',
    }));
    expect(drawn.states.get('Each Region')).toMatchObject({ failed: true, fill: '#ffd7d5' });
    expect(drawn.edges.find((e) => e.kind === 'end')?.taken).toBe(false);
  });
});
