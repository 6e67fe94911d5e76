/**
 * Property-based tests (fast-check) of change classification (issue item 6: stack and change set statuses, the
 * default policy, unsafe changes): never an unsafe change allowed, whatever the API or the user's policy
 * function returns.
 *
 * The built-in rule policies (denyDestructive, rules, allowAll) are covered by test/policy/evaluate.property.test.ts.
 * This file covers the rest of the path from CloudFormation's answers to "execute": a policy function's answer
 * (readAnswer, judge), the inspection result (summarise), the execute gate (executeChangeSet), and the
 * classification of stack and change set statuses (checkStack, pollChangeSet, operationOutcome).
 */
import { DescribeStacksCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import fc from 'fast-check';
import { isNoChangesReason } from '../../src/policy/completeness';
import { combine, unrecognisedValue } from '../../src/policy/evaluate';
import type { ChangeInput } from '../../src/policy/evaluate';
import { readAnswer } from '../../src/policy/function-answer';
import type { ApprovalResult, CheckStackResult, InspectionResult } from '../../src/shared/contract';
import type { Verdict } from '../../src/shared/policy-document';
import { judge, summarise } from '../../src/workflow/inspect';
import type { LocatedChange } from '../../src/workflow/inspect';
import { isInProgress, operationOutcome } from '../../src/workflow/stack-status';
import { awsError } from '../fakes';
import { deployment } from '../handlers/fixtures';
import { TaskWorld } from '../handlers/task-support';

const RUNS = 300;
const VERDICTS: Verdict[] = ['ALLOW', 'DENY', 'REQUIRE_APPROVAL'];
const RANK: Record<Verdict, number> = { ALLOW: 0, REQUIRE_APPROVAL: 1, DENY: 2 };
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:my-policy';
const IDS = ['Queue', 'Table', 'Bucket', 'Role'];

const json = fc.jsonValue({ maxDepth: 2 });

/** A value of a field: mostly a known one, sometimes missing, sometimes anything. */
function field(known: string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: json },
  );
}

const changeArb: fc.Arbitrary<ChangeInput> = fc.record({
  Type: fc.oneof({ weight: 9, arbitrary: fc.constant('Resource') }, { weight: 1, arbitrary: json }),
  ResourceChange: fc.oneof(
    {
      weight: 9,
      arbitrary: fc.record({
        Action: field(['Add', 'Modify', 'Remove', 'Import', 'Dynamic']),
        Replacement: fc.oneof({ weight: 3, arbitrary: fc.constant('False') }, { weight: 2, arbitrary: field(['True', 'False', 'Conditional']) }),
        PolicyAction: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: field(['Delete', 'Retain', 'ReplaceAndDelete']) }),
        LogicalResourceId: field(IDS),
        ResourceType: field(['AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::IAM::Role']),
      }, { requiredKeys: [] }),
    },
    { weight: 1, arbitrary: json },
  ),
}, { requiredKeys: [] }) as fc.Arbitrary<ChangeInput>;

const locatedArb: fc.Arbitrary<LocatedChange[]> = fc.array(
  fc.record({ change: changeArb, path: fc.oneof(fc.constant([]), fc.constant(['Nested'])) }) as fc.Arbitrary<LocatedChange>,
  { minLength: 1, maxLength: 6 },
);

/** What a policy function might answer: well-formed, half-formed, or garbage. */
const reasonArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      logicalId: fc.oneof(fc.constantFrom(...IDS, 'Ghost'), json),
      verdict: fc.oneof(fc.constantFrom(...VERDICTS), fc.constant(undefined), fc.constantFrom('allow', 'Deny', ''), json),
      reason: fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 1, arbitrary: json }),
    }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: json },
);
const answerTextArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      verdict: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...VERDICTS) }, { weight: 1, arbitrary: fc.constantFrom('allow', 'OK', '') }, { weight: 1, arbitrary: json }),
      reasons: fc.oneof({ weight: 4, arbitrary: fc.array(reasonArb, { maxLength: 4 }) }, { weight: 1, arbitrary: json }),
    }, { requiredKeys: [] }).map((a) => JSON.stringify(a)),
  },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.constantFrom('', 'null', 'ALLOW', '"ALLOW"', '{"verdict":"ALLOW"', '[{"verdict":"ALLOW"}]') },
);

/** The verdicts an answer states, in any valid form: its own and each reason's (a reason without one has the answer's). */
function statedVerdicts(text: string): { wellFormed: boolean; strictest: Verdict } {
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { wellFormed: false, strictest: 'DENY' };
  }
  if (!parsed || typeof parsed !== 'object' || !VERDICTS.includes(parsed.verdict)) return { wellFormed: false, strictest: 'DENY' };
  const stated: Verdict[] = [parsed.verdict];
  for (const r of Array.isArray(parsed.reasons) ? parsed.reasons : []) {
    if (!r || typeof r !== 'object' || r.verdict === undefined) continue;
    stated.push(VERDICTS.includes(r.verdict) ? r.verdict : 'DENY');
  }
  return { wellFormed: true, strictest: combine(stated) };
}

function fakeLambda(text: string): LambdaClient {
  return { send: async () => ({ StatusCode: 200, Payload: new TextEncoder().encode(text) }) } as unknown as LambdaClient;
}

const functionDeployment = deployment({ policy: { type: 'function', functionArn: FUNCTION_ARN } });

describe('a policy function\'s answer (SafetyPolicy.fromFunction)', () => {
  test('readAnswer: any text gives a known verdict; an answer it cannot read is DENY', () => {
    fc.assert(fc.property(answerTextArb, (text) => {
      const answer = readAnswer(text);
      expect(VERDICTS).toContain(answer.verdict);
      for (const r of answer.reasons ?? []) {
        if (r.verdict !== undefined) expect(VERDICTS).toContain(r.verdict);
        expect(typeof r.reason).toBe('string');
      }
      if (!statedVerdicts(text).wellFormed) expect(answer.verdict).toBe('DENY');
    }), { numRuns: RUNS });
  });

  test('readAnswer: the verdict is never milder than any verdict the answer states (a reason\'s own included, even without its text)', () => {
    fc.assert(fc.property(answerTextArb, (text) => {
      expect(RANK[readAnswer(text).verdict]).toBeGreaterThanOrEqual(RANK[statedVerdicts(text).strictest]);
    }), { numRuns: RUNS });
  });

  test('judge: the change set is never judged milder than the function\'s verdict, whatever the reasons name', async () => {
    await fc.assert(fc.asyncProperty(locatedArb, answerTextArb, async (located, text) => {
      const verdicts = await judge(functionDeployment, located, fakeLambda(text));
      expect(verdicts).toHaveLength(located.length);
      expect(RANK[combine(verdicts.map((v) => v.verdict))]).toBeGreaterThanOrEqual(RANK[readAnswer(text).verdict]);
    }), { numRuns: RUNS });
  });

  test('judge: a change with a value the policy does not recognise is DENY, whatever the function answers', async () => {
    await fc.assert(fc.asyncProperty(locatedArb, answerTextArb, async (located, text) => {
      const verdicts = await judge(functionDeployment, located, fakeLambda(text));
      located.forEach(({ change }, i) => {
        if (unrecognisedValue(change)) expect(verdicts[i].verdict).toBe('DENY');
        expect(VERDICTS).toContain(verdicts[i].verdict);
        expect(typeof verdicts[i].rule).toBe('string');
      });
    }), { numRuns: RUNS });
  });

  test('judge: an answer it cannot read denies every change', async () => {
    const garbage = fc.oneof(fc.string(), fc.json(), fc.record({ verdict: fc.constantFrom('allow', 'Allow', 'YES', '') }).map((a) => JSON.stringify(a)))
      .filter((t) => !statedVerdicts(t).wellFormed);
    await fc.assert(fc.asyncProperty(locatedArb, garbage, async (located, text) => {
      const verdicts = await judge(functionDeployment, located, fakeLambda(text));
      expect(verdicts.every((v) => v.verdict === 'DENY')).toBe(true);
    }), { numRuns: RUNS });
  });

  test('judge: a change the function denies by name is denied', async () => {
    await fc.assert(fc.asyncProperty(locatedArb, answerTextArb, async (located, text) => {
      const verdicts = await judge(functionDeployment, located, fakeLambda(text));
      const parsed = statedVerdicts(text).wellFormed ? JSON.parse(text) : {};
      const denied = new Set((Array.isArray(parsed.reasons) ? parsed.reasons : [])
        .filter((r: any) => r && typeof r === 'object' && typeof r.logicalId === 'string' && r.verdict === 'DENY')
        .map((r: any) => r.logicalId));
      verdicts.forEach((v) => {
        if (denied.has(v.logicalId)) expect(v.verdict).toBe('DENY');
      });
    }), { numRuns: RUNS });
  });

  test('examples the properties found: the function\'s DENY is not undone by naming a resource outside the change set, or by naming one twice', async () => {
    const remove: LocatedChange = { change: { Type: 'Resource', ResourceChange: { Action: 'Remove', LogicalResourceId: 'Table', ResourceType: 'AWS::DynamoDB::Table' } }, path: [], context: {} };
    const answers = [
      { verdict: 'DENY', reasons: [{ logicalId: 'Ghost', reason: 'a resource that is not in this change set' }] },
      { verdict: 'DENY', reasons: [{ logicalId: 'Table', verdict: 'ALLOW', reason: 'fine' }, { logicalId: 'Table', verdict: 'DENY', reason: 'never' }] },
      { verdict: 'ALLOW', reasons: [{ logicalId: 'Table', verdict: 'DENY' }] },
    ];
    for (const answer of answers) {
      const [verdict] = await judge(functionDeployment, [remove], fakeLambda(JSON.stringify(answer)));
      expect({ answer, verdict: verdict.verdict }).toEqual({ answer, verdict: 'DENY' });
    }
  });
});

describe('the inspection result and the execute gate', () => {
  const verdictArb = fc.constantFrom<Verdict>(...VERDICTS);
  const onUnsafeArb = fc.constantFrom(
    { type: 'fail' as const },
    { type: 'deployToNewStack' as const },
    { type: 'requireApproval' as const, topicArn: 'arn:aws:sns:eu-west-1:123456789012:t', timeoutSeconds: 3600 },
  );

  test('summarise: ALLOW only when every change is allowed; a denied change is DENY whatever happens on unsafe changes', () => {
    fc.assert(fc.property(fc.array(verdictArb, { maxLength: 80 }), onUnsafeArb, (list, onUnsafe) => {
      const verdicts = list.map((verdict, i) => ({ logicalId: `R${i}`, resourceType: 'AWS::SQS::Queue', action: 'Modify', verdict, rule: 'r' }));
      const located = verdicts.map(() => ({ change: {}, path: [], context: {} }));
      const result = summarise(deployment({ onUnsafe }), located, verdicts, 0);
      const refused = list.filter((v) => v !== 'ALLOW').length;
      expect(result.verdict === 'ALLOW').toBe(refused === 0);
      if (list.includes('DENY')) expect(result.verdict).toBe('DENY');
      if (result.verdict === 'REQUIRE_APPROVAL') expect(onUnsafe.type).toBe('requireApproval');
      expect(result.violationCount).toBe(refused);
      expect(result.changeCount).toBe(list.length);
      expect(result.violations.length).toBeLessThanOrEqual(50);
      expect(result.reason.length).toBeLessThanOrEqual(4000);
    }), { numRuns: RUNS });
  });

  test('executeChangeSet: CloudFormation is asked to execute only an inspected-safe change set, or one a person approved', async () => {
    const inspectionArb = fc.option(fc.record({ verdict: fc.oneof(fc.constantFrom('ALLOW', 'DENY', 'REQUIRE_APPROVAL'), json) }), { nil: undefined });
    const approvalArb = fc.option(fc.record({ approved: fc.oneof(fc.boolean(), json) }, { requiredKeys: [] }), { nil: undefined });
    await fc.assert(fc.asyncProperty(inspectionArb, approvalArb, async (inspection, approval) => {
      const world = new TaskWorld();
      world.cloudformation.putStack('prod-sample-app', 'UPDATE_COMPLETE');
      world.cloudformation.putChangeSet('prod-sample-app', 'sfn-deploy-job1', []);
      // The inspection records what it judged (its id and digest), whatever its verdict.
      const judged = await world.judged();
      const state = {
        ...(inspection ? { inspection: { ...judged, ...inspection } as unknown as InspectionResult } : {}),
        ...(approval ? { approval: approval as unknown as ApprovalResult } : {}),
      };
      const allowed = inspection?.verdict === 'ALLOW' || (inspection?.verdict === 'REQUIRE_APPROVAL' && approval?.approved === true);
      const result = world.run('executeChangeSet', state);
      if (allowed) await expect(result).resolves.toMatchObject({ outcome: 'IN_PROGRESS' });
      else await expect(result).rejects.toThrow('refusing to execute change set');
      expect(world.cloudformation.mock.commandCalls(ExecuteChangeSetCommand)).toHaveLength(allowed ? 1 : 0);
    }), { numRuns: 150 });
  });
});

describe('stack and change set statuses', () => {
  const knownStatuses = [
    'CREATE_IN_PROGRESS', 'CREATE_FAILED', 'CREATE_COMPLETE', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED', 'ROLLBACK_COMPLETE',
    'DELETE_IN_PROGRESS', 'DELETE_FAILED', 'DELETE_COMPLETE', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    'UPDATE_COMPLETE', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED',
    'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS',
    'IMPORT_IN_PROGRESS', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_FAILED', 'IMPORT_ROLLBACK_COMPLETE',
  ];
  const statusArb = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...knownStatuses) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
  );

  test('operationOutcome: SUCCEEDED only on the exact status waited for; never IN_PROGRESS for a settled status', () => {
    fc.assert(fc.property(statusArb, fc.constantFrom('CREATE_COMPLETE', 'UPDATE_COMPLETE'), (status, expected) => {
      const outcome = operationOutcome(status, expected);
      expect(outcome === 'SUCCEEDED').toBe(status === expected);
      if (outcome === 'IN_PROGRESS') expect(status).toMatch(/_IN_PROGRESS$/);
    }), { numRuns: RUNS });
  });

  test('checkStack: an existing stack is never created; one that is busy is never given a change set', async () => {
    await fc.assert(fc.asyncProperty(statusArb, async (status) => {
      const world = new TaskWorld();
      world.cloudformation.putStack('prod-sample-app', status);
      const result = await world.run<CheckStackResult>('checkStack');
      expect(result.exists).toBe(true);
      expect(result.next).not.toBe('CREATE');
      if (isInProgress(status)) expect(['WAIT', 'BLOCKED']).toContain(result.next);
      if (result.next === 'CHANGE_SET') expect(isInProgress(status)).toBe(false);
      if (result.next === 'BLOCKED' || result.next === 'WAIT') expect(result.reason).toContain(status);
    }), { numRuns: 150 });
  });

  test('checkStack: only CloudFormation\'s "does not exist" ValidationError means the stack is absent; any other error fails the task', async () => {
    const errorArb = fc.record({
      name: fc.oneof(fc.constantFrom('ValidationError', 'AccessDenied', 'Throttling', 'InternalFailure', 'ValidationException'), fc.string({ minLength: 1, maxLength: 20 })),
      message: fc.oneof(fc.constantFrom('Stack with id prod-sample-app does not exist', 'Rate exceeded', 'Role is invalid'), fc.string()),
      status: fc.constantFrom(400, 403, 500, 503),
    });
    await fc.assert(fc.asyncProperty(errorArb, async ({ name, message, status }) => {
      const world = new TaskWorld();
      world.cloudformation.mock.on(DescribeStacksCommand).rejects(awsError(name, message, status));
      const absent = name === 'ValidationError' && /does not exist/.test(message);
      const result = world.run<CheckStackResult>('checkStack');
      if (absent) await expect(result).resolves.toMatchObject({ exists: false, next: 'CREATE' });
      else await expect(result).rejects.toBeDefined();
    }), { numRuns: 200 });
  });

  test('pollChangeSet: READY only when CREATE_COMPLETE; NO_CHANGES only for a FAILED change set whose reason says it has none', async () => {
    const statusReasonArb = fc.option(fc.oneof(
      fc.constantFrom("The submitted information didn't contain changes.", 'No updates are to be performed.', 'Template format error'),
      fc.string(),
    ), { nil: undefined });
    const csStatusArb = fc.oneof(fc.constantFrom('CREATE_PENDING', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'DELETE_COMPLETE', 'FAILED'), fc.string({ maxLength: 20 }));
    await fc.assert(fc.asyncProperty(csStatusArb, statusReasonArb, async (status, reason) => {
      const world = new TaskWorld();
      world.cloudformation.putChangeSet('prod-sample-app', 'sfn-deploy-job1', [], status, reason);
      const result = await world.run<{ outcome: string }>('pollChangeSet');
      expect(result.outcome === 'READY').toBe(status === 'CREATE_COMPLETE');
      if (result.outcome === 'NO_CHANGES') expect(status === 'FAILED' && isNoChangesReason(reason)).toBe(true);
      expect(['READY', 'PENDING', 'NO_CHANGES', 'FAILED']).toContain(result.outcome);
    }), { numRuns: 150 });
  });
});
