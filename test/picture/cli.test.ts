/**
 * `cdk-sfn-deploy picture`: usage errors exit 64, inputs that cannot be read or are not what they should
 * be exit 4 with a message naming the file and the problem, and a good run writes the SVG.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPicture } from './svg';
import { main } from '../../src/cli/main';
import { pictureCommand } from '../../src/cli/picture';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'picture-cli-'));
function write(name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}
async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await pictureCommand(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const DEFINITION = {
  StartAt: 'Create Stack',
  States: {
    'Create Stack': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Wait', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Errored' }] },
    'Wait': { Type: 'Wait', Seconds: 10, Next: 'Get Status' },
    'Get Status': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Created?' },
    'Created?': {
      Type: 'Choice',
      Choices: [
        { Variable: '$.outcome', StringEquals: 'SUCCEEDED', Next: 'Done' },
        { Variable: '$.outcome', StringEquals: 'IN_PROGRESS', Next: 'Wait' },
      ],
      Default: 'Creation Failed',
    },
    'Done': { Type: 'Succeed' },
    'Creation Failed': { Type: 'Fail', Error: 'StackCreationFailed' },
    'Errored': { Type: 'Fail' },
  },
};
const DESCRIBED = { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:deploy', name: 'deploy', definition: JSON.stringify(DEFINITION) };
const entered = (id: number, type: string, name: string) => ({
  timestamp: '2025-03-04T10:00:00.000000+00:00',
  type,
  id,
  previousEventId: id - 1,
  stateEnteredEventDetails: { name, input: '{}', inputDetails: { truncated: false } },
});
const HISTORY = {
  events: [
    { timestamp: '2025-03-04T10:00:00.000000+00:00', type: 'ExecutionStarted', id: 1, previousEventId: 0, executionStartedEventDetails: { input: '{}', roleArn: 'r' } },
    entered(2, 'TaskStateEntered', 'Create Stack'),
    { timestamp: '2025-03-04T10:00:01.000000+00:00', type: 'TaskStateExited', id: 3, previousEventId: 2, stateExitedEventDetails: { name: 'Create Stack', output: '{}' } },
    entered(4, 'WaitStateEntered', 'Wait'),
    entered(5, 'TaskStateEntered', 'Get Status'),
    entered(6, 'ChoiceStateEntered', 'Created?'),
    entered(7, 'FailStateEntered', 'Creation Failed'),
    { timestamp: '2025-03-04T10:00:09.000000+00:00', type: 'ExecutionFailed', id: 8, previousEventId: 7, executionFailedEventDetails: { error: 'StackCreationFailed' } },
  ],
};

test('GIVEN describe-state-machine output and a history WHEN drawn to a file THEN the SVG is written with the path and the failed state, exit 0', async () => {
  const output = path.join(dir, 'out.svg');
  const result = await run(['--definition', write('described.json', DESCRIBED), '--history', write('history.json', HISTORY), '-o', output]);
  expect(result).toMatchObject({ code: 0, out: '' });
  expect(result.err).toContain(`picture written to ${output}`);
  const drawn = readPicture(fs.readFileSync(output, 'utf8'));
  expect(drawn.title).toBe('deploy: execution FAILED in "Creation Failed"');
  expect(drawn.states.get('Creation Failed')).toMatchObject({ failed: true, visited: true });
  expect(drawn.states.get('Done')).toMatchObject({ visited: false });
  expect(drawn.edges.find((e) => e.from === 'Created?' && e.to === 'Creation Failed')).toMatchObject({ taken: true, label: 'otherwise' });
  expect(drawn.edges.find((e) => e.from === 'Create Stack' && e.kind === 'catch')).toMatchObject({ taken: false, dashed: true, label: 'States.ALL' });
});

test('GIVEN the raw definition, history pages split in two files, and --title WHEN drawn to stdout THEN the SVG is printed', async () => {
  const [first, second] = [{ events: HISTORY.events.slice(4) }, { events: HISTORY.events.slice(0, 4), NextToken: 't' }];
  const result = await run(['--definition', write('raw.json', DEFINITION), '--history', write('p2.json', first), '--history', write('p1.json', second),
    '--title', 'Run <42>']);
  expect(result.code).toBe(0);
  expect(result.out).toMatch(/^<svg [^>]*>\n<title>Run &lt;42&gt;<\/title>/);
  expect(readPicture(result.out).states.get('Creation Failed')?.failed).toBe(true);
});

test('GIVEN only a definition WHEN drawn THEN no state is highlighted and the title is the file name', async () => {
  const result = await run(['--definition', write('my-machine.json', DEFINITION)]);
  expect(result.code).toBe(0);
  const drawn = readPicture(result.out);
  expect(drawn.title).toBe('my-machine');
  expect([...drawn.states.values()].some((s) => s.visited)).toBe(false);
});

test.each([
  [[], /--definition is required/],
  [['--definition'], /Option '--definition <value>' argument missing/],
  [['--definition', 'a.json', '--history'], /Option '--history <value>' argument missing/],
  [['--definition', 'a.json', '--colour', 'red'], /Unknown option '--colour'/],
  [['--definition', 'a.json', '--definition', 'b.json'], /give --definition once/],
  [['a.json'], /Unexpected argument 'a.json'/],
])('GIVEN the arguments %j THEN it is a usage error: exit 64 with the usage', async (args, message) => {
  const result = await run(args as string[]);
  expect(result.code).toBe(64);
  expect(result.err).toMatch(message);
  expect(result.err).toContain('usage: cdk-sfn-deploy picture --definition FILE');
});

test('GIVEN files that are missing, not JSON, not a definition, or a history of another machine THEN exit 4 naming the file and the problem, never the content', async () => {
  const definition = write('d.json', DEFINITION);
  const cases: [string[], RegExp][] = [
    [['--definition', path.join(dir, 'missing.json')], /cannot read .*missing\.json: no such file/],
    [['--definition', write('bad.json', '{"StartAt": TOPSECRET')], /bad\.json is not valid JSON: invalid symbol at line 1, column 13/],
    [['--definition', write('other.json', { TOPSECRET: 1 })], /other\.json: the definition has neither "StartAt"\/"States" nor a "definition" field/],
    [['--definition', definition, '--history', path.join(dir, 'nohistory.json')], /cannot read .*nohistory\.json: no such file/],
    [['--definition', definition, '--history', write('h-bad.json', { TOPSECRET: [] })], /h-bad\.json has no "events" list/],
    [['--definition', definition, '--history', write('h-other.json', { events: [entered(1, 'TaskStateEntered', 'TOPSECRET')] })],
      /the history enters 1 state\(s\) that the definition does not have: give the definition of the execution's own/],
  ];
  for (const [args, message] of cases) {
    const result = await run(args);
    expect([args, result.code]).toEqual([args, 4]);
    expect(result.err).toMatch(message);
    expect(result.err).not.toContain('TOPSECRET');
  }
  const unwritable = await run(['--definition', definition, '-o', path.join(dir, 'no', 'such', 'dir', 'x.svg')]);
  expect(unwritable).toMatchObject({ code: 4 });
  expect(unwritable.err).toMatch(/cannot write .*x\.svg: ENOENT/);
});

test('GIVEN the package\'s command line WHEN called with "picture" THEN it draws, and its usage lists the command', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const output = path.join(dir, 'main.svg');
  expect(await main(['picture', '--definition', write('m.json', DEFINITION), '-o', output], (s) => out.push(s), (s) => err.push(s))).toBe(0);
  expect(fs.readFileSync(output, 'utf8')).toMatch(/^<svg/);
  await main(['--help'], (s) => out.push(s), (s) => err.push(s));
  expect(out.join('\n')).toContain('cdk-sfn-deploy picture --definition FILE');
});
