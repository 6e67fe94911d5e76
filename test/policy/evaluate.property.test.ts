/**
 * Property-based tests of the safety policy (fast-check): the default policy fails closed whatever the
 * change set holds, and evaluation never throws on JSON from the API.
 */
import fc from 'fast-check';
import { combine, evaluateChanges } from '../../src/policy/evaluate';
import type { ChangeInput } from '../../src/policy/evaluate';
import type { PolicyDocument, RuleDocument, Verdict } from '../../src/shared/policy-document';
import { criteriaOf } from '../../src/shared/policy-vocabulary';
import { validatePolicyDocument } from '../../src/shared/validate-document';

const ACTIONS = ['Add', 'Modify', 'Remove', 'Import', 'Dynamic'];
const REPLACEMENTS = ['True', 'False', 'Conditional'];
const POLICY_ACTIONS = ['Delete', 'Retain', 'Snapshot', 'ReplaceAndDelete', 'ReplaceAndRetain', 'ReplaceAndSnapshot'];
const VERDICTS: Verdict[] = ['ALLOW', 'DENY', 'REQUIRE_APPROVAL'];
const NUM_RUNS = 500;

/** A field value: mostly the known values, sometimes missing, sometimes anything JSON. */
function field(known: string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.jsonValue() },
  );
}

const glob = fc.oneof(fc.constantFrom('*', 'AWS::*', 'AWS::S3::*', 'Cache?', '*Version*', 'Res*'), fc.string({ minLength: 1, maxLength: 12 }));
const resourceType = fc.oneof(fc.constantFrom('AWS::S3::Bucket', 'AWS::Lambda::Version', 'AWS::IAM::Role', 'Custom::X'), fc.string());

/** A change as DescribeChangeSet could return it, with now and then something it never documented. */
const changeArb: fc.Arbitrary<ChangeInput> = fc.record({
  Type: fc.oneof({ weight: 8, arbitrary: fc.constant('Resource') }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.string() }),
  ResourceChange: fc.oneof(
    {
      weight: 9,
      arbitrary: fc.record({
        Action: field(ACTIONS),
        Replacement: field(REPLACEMENTS),
        PolicyAction: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: field(POLICY_ACTIONS) }),
        LogicalResourceId: fc.oneof({ weight: 8, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,20}$/) }, { weight: 1, arbitrary: fc.jsonValue() }),
        ResourceType: fc.oneof({ weight: 8, arbitrary: resourceType }, { weight: 1, arbitrary: fc.jsonValue() }),
      }, { requiredKeys: [] }),
    },
    { weight: 1, arbitrary: fc.jsonValue() },
  ),
}, { requiredKeys: [] }) as fc.Arbitrary<ChangeInput>;

const denyDestructiveArb: fc.Arbitrary<PolicyDocument> = fc.record({
  type: fc.constant('denyDestructive' as const),
  allowReplacementOfTypes: fc.array(glob, { minLength: 1, maxLength: 3 }),
  allowReplacementOfIds: fc.array(glob, { minLength: 1, maxLength: 3 }),
}, { requiredKeys: ['type'] });

const ruleArb: fc.Arbitrary<RuleDocument> = fc.record({
  verdict: fc.constantFrom(...VERDICTS),
  actions: fc.subarray(ACTIONS, { minLength: 1 }),
  replacements: fc.subarray(REPLACEMENTS, { minLength: 1 }),
  policyActions: fc.subarray(POLICY_ACTIONS, { minLength: 1 }),
  resourceTypes: fc.array(glob, { minLength: 1, maxLength: 3 }),
  logicalIds: fc.array(glob, { minLength: 1, maxLength: 3 }),
  description: fc.string(),
}, { requiredKeys: ['verdict'] })
  // A rule gives at least one criterion (one without any is refused: it would match every change).
  .filter((rule) => criteriaOf(rule).length > 0);

/** Every policy document the configuration validation accepts. */
const policyArb: fc.Arbitrary<PolicyDocument> = fc.oneof(
  denyDestructiveArb,
  fc.constant({ type: 'allowAll' as const }),
  fc.record({ type: fc.constant('rules' as const), rules: fc.array(ruleArb, { minLength: 1, maxLength: 5 }), defaultVerdict: fc.constantFrom(...VERDICTS) }),
);

function isUnrecognised(change: ChangeInput): boolean {
  // A null field is an absent one.
  const raw = change.ResourceChange as Record<string, unknown> | undefined;
  const rc = raw && typeof raw === 'object' && !Array.isArray(raw) ? Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null)) : raw;
  if (change.Type !== 'Resource' || !rc || typeof rc !== 'object') return true;
  if (!ACTIONS.includes(rc.Action as string)) return true;
  if (rc.Replacement !== undefined && !REPLACEMENTS.includes(rc.Replacement as string)) return true;
  if (rc.Action === 'Modify' && rc.Replacement === undefined) return true;
  if (rc.PolicyAction !== undefined && !POLICY_ACTIONS.includes(rc.PolicyAction as string)) return true;
  return typeof rc.LogicalResourceId !== 'string' || typeof rc.ResourceType !== 'string';
}

describe('properties of the default policy (denyDestructive)', () => {
  test('the default policy never ALLOWs a Remove', () => {
    fc.assert(fc.property(changeArb, (change) => {
      fc.pre(change.ResourceChange?.Action === 'Remove');
      return evaluateChanges({ type: 'denyDestructive' }, [change]).verdict === 'DENY';
    }), { numRuns: NUM_RUNS });
  });

  test('the default policy never ALLOWs a Modify whose Replacement is not "False"', () => {
    fc.assert(fc.property(changeArb, (change) => {
      const rc = change.ResourceChange;
      fc.pre(rc?.Action === 'Modify' && rc.Replacement !== 'False');
      return evaluateChanges({ type: 'denyDestructive' }, [change]).verdict === 'DENY';
    }), { numRuns: NUM_RUNS });
  });

  test('the default policy never ALLOWs a change with a value it does not recognise', () => {
    fc.assert(fc.property(changeArb, (change) => {
      fc.pre(isUnrecognised(change));
      return evaluateChanges({ type: 'denyDestructive' }, [change]).verdict === 'DENY';
    }), { numRuns: NUM_RUNS });
  });

  test('whatever replacements it allows, denyDestructive never ALLOWs a Remove, a Dynamic change or an unrecognised value', () => {
    fc.assert(fc.property(denyDestructiveArb, changeArb, (policy, change) => {
      const action = change.ResourceChange?.Action;
      fc.pre(action === 'Remove' || action === 'Dynamic' || isUnrecognised(change));
      return evaluateChanges(policy, [change]).verdict === 'DENY';
    }), { numRuns: NUM_RUNS });
  });

  test('a rules policy never ALLOWs an unrecognised value, whatever its rules say', () => {
    fc.assert(fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 5 }), changeArb, (rules, change) => {
      fc.pre(isUnrecognised(change));
      return evaluateChanges({ type: 'rules', rules, defaultVerdict: 'ALLOW' }, [change]).verdict === 'DENY';
    }), { numRuns: NUM_RUNS });
  });
});

describe('robustness and composition', () => {
  test('the generated policies are valid documents (the arbitraries model real configurations)', () => {
    fc.assert(fc.property(policyArb, (policy) => validatePolicyDocument(policy).length === 0), { numRuns: 200 });
  });

  test('evaluateChanges never throws on arbitrary JSON-ish changes, and judges each one', () => {
    const anyChange = fc.oneof(changeArb, fc.jsonValue() as fc.Arbitrary<any>, fc.anything() as fc.Arbitrary<any>);
    fc.assert(fc.property(policyArb, fc.array(anyChange, { maxLength: 8 }), (policy, changes) => {
      const result = evaluateChanges(policy, changes);
      expect(result.changes).toHaveLength(changes.length);
      expect(VERDICTS).toContain(result.verdict);
      for (const c of result.changes) {
        expect(VERDICTS).toContain(c.verdict);
        expect(typeof c.rule).toBe('string');
      }
    }), { numRuns: NUM_RUNS });
  });

  test('the change set verdict is the worst change verdict, and adding a change never makes it safer', () => {
    const rank = { ALLOW: 0, REQUIRE_APPROVAL: 1, DENY: 2 };
    fc.assert(fc.property(policyArb, fc.array(changeArb, { maxLength: 6 }), changeArb, (policy, changes, extra) => {
      const before = evaluateChanges(policy, changes);
      const after = evaluateChanges(policy, [...changes, extra]);
      expect(before.verdict).toBe(combine(before.changes.map((c) => c.verdict)));
      expect(rank[after.verdict]).toBeGreaterThanOrEqual(rank[before.verdict]);
    }), { numRuns: NUM_RUNS });
  });

  test('evaluation is a pure function of its inputs (same input, same result; input not mutated)', () => {
    fc.assert(fc.property(policyArb, fc.array(changeArb, { maxLength: 6 }), (policy, changes) => {
      const snapshot = JSON.stringify([policy, changes]);
      expect(evaluateChanges(policy, changes)).toEqual(evaluateChanges(policy, changes));
      expect(JSON.stringify([policy, changes])).toBe(snapshot);
    }), { numRuns: 200 });
  });
});
