/**
 * The offline check judges one change set (with its nested stacks' change sets) at a time: the root is the one
 * change set no other given names as a nested stack's. Pages of a second, unrelated change set are refused, not
 * left unjudged, and so are change sets that only name each other.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { ChangeSetInputError, checkChangeSet } from '../../src/policy/check';
import { DEFAULT_POLICY } from '../../src/shared/policy-vocabulary';

const APP_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs/1a2b';
const DATA_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs/3c4d';

function change(Action: string, LogicalResourceId: string, ResourceType: string, extra: Record<string, string> = {}) {
  return { Type: 'Resource', ResourceChange: { Action, LogicalResourceId, ResourceType, ...extra } };
}
function page(id: string, stack: string, changes: unknown[]) {
  return { ChangeSetName: 'cs', ChangeSetId: id, StackName: stack, Status: 'CREATE_COMPLETE', Changes: changes };
}

// Two change sets of two stacks: the app's only adds a queue, the data stack's removes its table.
const app = page(APP_ID, 'app', [change('Add', 'Queue', 'AWS::SQS::Queue')]);
const data = page(DATA_ID, 'data', [change('Remove', 'Table', 'AWS::DynamoDB::Table')]);

const UNRELATED = 'pages of 2 unrelated change sets were given (change set cs of stack app, change set cs of stack data): ' +
  'check one change set (with its nested stacks\' change sets) at a time';

describe('the offline check finds the one root change set', () => {
  test('GIVEN the pages of two unrelated change sets, the second removing a table THEN they are refused, naming both: never the first judged alone (ALLOW)', () => {
    expect(() => checkChangeSet(DEFAULT_POLICY, [app, data])).toThrow(ChangeSetInputError);
    expect(() => checkChangeSet(DEFAULT_POLICY, [app, data])).toThrow(UNRELATED);
  });

  test('GIVEN two change sets that each name the other as a nested stack\'s THEN a loop is refused, naming every change set given', () => {
    const appNesting = page(APP_ID, 'app', [change('Modify', 'Data', 'AWS::CloudFormation::Stack', { Replacement: 'False', ChangeSetId: DATA_ID })]);
    const dataNesting = page(DATA_ID, 'data', [change('Modify', 'App', 'AWS::CloudFormation::Stack', { Replacement: 'False', ChangeSetId: APP_ID })]);
    expect(() => checkChangeSet(DEFAULT_POLICY, [appNesting, dataNesting])).toThrow(
      'the pages given form a loop of nested change sets (change set cs of stack app, change set cs of stack data); give the root change set\'s pages first');
  });

  test('GIVEN a root change set and the change set of its nested stack, nested given first THEN the root is found: the table removed inside is denied', () => {
    const parent = page(APP_ID, 'app', [change('Modify', 'Data', 'AWS::CloudFormation::Stack', { Replacement: 'False', ChangeSetId: DATA_ID })]);
    const result = checkChangeSet(DEFAULT_POLICY, [data, parent]);
    expect(result.incomplete).toEqual([]);
    expect(result.verdict).toBe('DENY');
    expect(result.changes.map((c) => [c.path ?? [], c.logicalId, c.verdict])).toEqual([[[], 'Data', 'ALLOW'], [['Data'], 'Table', 'DENY']]);
  });

  test('GIVEN two unrelated change sets to the CLI THEN bad input (exit 4) with the same words, and no verdict printed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roots-'));
    const files = [['app.json', app], ['data.json', data]].map(([name, value]) => {
      const file = path.join(dir, name as string);
      fs.writeFileSync(file, JSON.stringify(value));
      return file;
    });
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['check', ...files], (s) => out.push(s), (s) => err.push(s));
    expect(code).toBe(4);
    expect(err).toEqual([`cdk-sfn-deploy check: ${UNRELATED}`]);
    expect(out).toEqual([]);
  });
});
