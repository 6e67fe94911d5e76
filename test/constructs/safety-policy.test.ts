import { SAMPLE_ROLE_ARN, singleAction, substituteTokens, userParametersOf } from './helpers';
import { ChangeAction, PolicyAction, Replacement, RuleVerdict, SafetyPolicy, UnsafeChangeAction } from '../../src';
import type { SafetyRule } from '../../src';
import { validateConfig } from '../../src/shared/config';

/** The policy and on-unsafe documents an action renders into UserParameters, checked by the handler's own validation. */
function rendered(safetyPolicy?: SafetyPolicy, onUnsafeChange?: UnsafeChangeAction) {
  const { template } = singleAction({ safetyPolicy, onUnsafeChange });
  const { config } = userParametersOf(template(), 'Deploy');
  validateConfig(substituteTokens(config, SAMPLE_ROLE_ARN) as Record<string, unknown>);
  return { policy: config.policy, onUnsafe: config.onUnsafe };
}

describe('SafetyPolicy at synth time', () => {
  describe('fromRules() refuses bad rules with a clear message', () => {
    test('an invalid verdict', () => {
      expect(() => SafetyPolicy.fromRules([{ verdict: 'MAYBE' as RuleVerdict }]))
        .toThrow('SafetyPolicy.fromRules: rule #1 verdict: "MAYBE" is not one of ALLOW, DENY, REQUIRE_APPROVAL');
    });

    test('GIVEN a rule without criteria THEN synth refuses it, naming the rule, pointing to defaultVerdict and to SafetyRule in Python', () => {
      // It would match every change: a catch-all is defaultVerdict, never a rule.
      const thrown = () => SafetyPolicy.fromRules([
        { verdict: RuleVerdict.DENY, actions: [ChangeAction.REMOVE] },
        { verdict: RuleVerdict.ALLOW, description: 'the rest' },
      ]);
      expect(thrown).toThrow('SafetyPolicy.fromRules: rule #2 ("the rest") has no criteria, so it would match every change: give it a criterion ' +
        '(actions, replacements, policyActions, resourceTypes, logicalIds, properties, driftStatuses, broadensPermissions), or, for the ' +
        'changes no rule matches, use defaultVerdict instead of a catch-all rule (SafetyPolicy.fromRules(rules, { defaultVerdict })).');
      expect(thrown).toThrow(/In Python, a rule written as a dict loses every key jsii does not know \(resource_types, or a misspelt key\).*SafetyRule\(verdict=\.\.\., resource_types=\[\.\.\.\]\)/);
      expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY }])).toThrow(/^SafetyPolicy\.fromRules: rule #1 has no criteria/);
    });

    test('GIVEN what jsii gives the library for a Python dict rule with a snake_case key (the key dropped) THEN synth refuses it instead of matching every change', () => {
      // {"verdict": RuleVerdict.ALLOW, "resource_types": [...]} reaches the library as { verdict: 'ALLOW' }.
      const asJsiiDeliversIt = { verdict: RuleVerdict.ALLOW } as SafetyRule;
      expect(() => SafetyPolicy.fromRules([asJsiiDeliversIt])).toThrow(/rule #1 has no criteria, so it would match every change/);
    });

    test('GIVEN a rule whose only criterion is broadensPermissions: false THEN it is a rule with a criterion', () => {
      expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.ALLOW, broadensPermissions: false }])).not.toThrow();
    });

    test('an invalid change action, in the second rule', () => {
      expect(() => SafetyPolicy.fromRules([
        { verdict: RuleVerdict.ALLOW, actions: [ChangeAction.ADD] },
        { verdict: RuleVerdict.DENY, actions: ['Delete' as ChangeAction] },
      ])).toThrow('SafetyPolicy.fromRules: rule #2 actions: "Delete" is not one of Add, Modify, Remove, Import, Dynamic');
    });

    test('an invalid replacement and an invalid policy action', () => {
      expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, replacements: ['Maybe' as Replacement] }]))
        .toThrow(/rule #1 replacements: "Maybe" is not one of True, False, Conditional/);
      expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, policyActions: ['Destroy' as PolicyAction] }]))
        .toThrow(/rule #1 policyActions: "Destroy" is not one of Delete, Retain, Snapshot/);
    });

    test('an enum given in the wrong case (CloudFormation writes Remove, not REMOVE)', () => {
      expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, actions: ['REMOVE' as ChangeAction] }]))
        .toThrow(/"REMOVE" is not one of Add, Modify, Remove/);
    });

    test('an unknown rule key (a typo that would silently widen the rule)', () => {
      const rule = { verdict: RuleVerdict.ALLOW, resourceType: ['AWS::Lambda::Version'] } as unknown as SafetyRule;
      expect(() => SafetyPolicy.fromRules([rule]))
        .toThrow(/SafetyPolicy\.fromRules: rule #1 has unknown keys: resourceType \(known: verdict, actions, replacements, policyActions, resourceTypes, logicalIds, properties, driftStatuses, broadensPermissions, description\)/);
    });

    test('an empty list of rules', () => {
      expect(() => SafetyPolicy.fromRules([])).toThrow('SafetyPolicy.fromRules: give at least one rule (or use SafetyPolicy.allowAll())');
    });

    test('an empty criterion list and an empty glob', () => {
      expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, actions: [] }])).toThrow(/rule #1 actions: give a non-empty list or leave it out/);
      expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, resourceTypes: [''] }])).toThrow(/rule #1 resourceTypes: "" is not a glob of 1 to 256 characters/);
    });

    test('an invalid default verdict', () => {
      expect(() => SafetyPolicy.fromRules([{ verdict: RuleVerdict.ALLOW, logicalIds: ['Fn*'] }], { defaultVerdict: 'ASK' as RuleVerdict }))
        .toThrow(/defaultVerdict: "ASK" is not one of ALLOW, DENY, REQUIRE_APPROVAL/);
    });

    test('a bad rule stops the CDK app before anything is synthesized', () => {
      expect(() => singleAction({ safetyPolicy: SafetyPolicy.fromRules([{ verdict: 'NOPE' as RuleVerdict }]) })).toThrow(/is not one of/);
    });
  });

  describe('policies render into UserParameters, in the form the handler validates', () => {
    test('valid rules, in order, with the default verdict DENY', () => {
      const policy = SafetyPolicy.fromRules([
        { verdict: RuleVerdict.ALLOW, resourceTypes: ['AWS::Lambda::Version'], description: 'versions are cheap' },
        { verdict: RuleVerdict.DENY, actions: [ChangeAction.REMOVE] },
        { verdict: RuleVerdict.REQUIRE_APPROVAL, replacements: [Replacement.TRUE, Replacement.CONDITIONAL], logicalIds: ['Database*'] },
        { verdict: RuleVerdict.DENY, policyActions: [PolicyAction.DELETE, PolicyAction.REPLACE_AND_DELETE] },
      ]);
      expect(rendered(policy).policy).toEqual({
        type: 'rules',
        rules: [
          { verdict: 'ALLOW', resourceTypes: ['AWS::Lambda::Version'], description: 'versions are cheap' },
          { verdict: 'DENY', actions: ['Remove'] },
          { verdict: 'REQUIRE_APPROVAL', replacements: ['True', 'Conditional'], logicalIds: ['Database*'] },
          { verdict: 'DENY', policyActions: ['Delete', 'ReplaceAndDelete'] },
        ],
        defaultVerdict: 'DENY',
      });
    });

    test('rules with defaultVerdict ALLOW', () => {
      const policy = SafetyPolicy.fromRules([{ verdict: RuleVerdict.DENY, actions: [ChangeAction.REMOVE] }], { defaultVerdict: RuleVerdict.ALLOW });
      expect(rendered(policy).policy).toMatchObject({ type: 'rules', defaultVerdict: 'ALLOW' });
    });

    test('denyDestructiveChanges() with its options', () => {
      const policy = SafetyPolicy.denyDestructiveChanges({
        allowReplacementOfResourceTypes: ['AWS::Lambda::Version', 'Custom::*'],
        allowReplacementOfLogicalIds: ['Cache?'],
      });
      expect(rendered(policy).policy).toEqual({
        type: 'denyDestructive',
        allowReplacementOfTypes: ['AWS::Lambda::Version', 'Custom::*'],
        allowReplacementOfIds: ['Cache?'],
      });
    });

    test('denyDestructiveChanges() without options', () => {
      expect(rendered(SafetyPolicy.denyDestructiveChanges()).policy).toEqual({ type: 'denyDestructive' });
    });

    test('denyDestructiveChanges() refuses an empty glob list', () => {
      expect(() => SafetyPolicy.denyDestructiveChanges({ allowReplacementOfResourceTypes: [] }))
        .toThrow(/allowReplacementOfResourceTypes: give a non-empty list of globs or leave it out/);
    });

    test('allowAll()', () => {
      expect(rendered(SafetyPolicy.allowAll()).policy).toEqual({ type: 'allowAll' });
    });

    test('UnsafeChangeAction.fail()', () => {
      expect(rendered(undefined, UnsafeChangeAction.fail()).onUnsafe).toEqual({ type: 'fail' });
    });

    test('without a policy, the default (deny destructive changes) is written into the action\'s configuration', () => {
      // What the action was synthesized with is what it deploys with: nothing is left for a default elsewhere.
      const { policy, onUnsafe } = rendered();
      expect(policy).toEqual({ type: 'denyDestructive' });
      expect(onUnsafe).toBeUndefined();
    });

    test('a rule document is a copy: changing the caller\'s arrays later changes nothing', () => {
      const types = ['AWS::SQS::Queue'];
      const policy = SafetyPolicy.fromRules([{ verdict: RuleVerdict.ALLOW, resourceTypes: types }]);
      types.push('AWS::IAM::*');
      expect(rendered(policy).policy.rules[0].resourceTypes).toEqual(['AWS::SQS::Queue']);
    });
  });
});
