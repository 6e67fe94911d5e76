/**
 * `cdk-sfn-deploy check`: the safety policy's verdict on a change set described with
 * `aws cloudformation describe-change-set`, exactly as the deploy workflow gives it.
 */
import { findDeployAction, isActionConfig } from './assembly';
import { InputFileError, readJsonFile } from './files';
import { ChangeSetInputError, checkChangeSet } from '../policy/check';
import type { CheckResult } from '../policy/check';
import { printable } from '../policy/safe-value';
import { TOP_LEVEL_KEYS, unknownTopLevelKeys } from '../shared/config';
import type { PolicyDocument } from '../shared/policy-document';
import { DEFAULT_POLICY } from '../shared/policy-vocabulary';
import { validatePolicyDocument } from '../shared/validate-document';

/** The exit codes of `check`, as the usage text and the README give them. */
export const CHECK_EXIT = { allowed: 0, denied: 1, needsApproval: 2, incomplete: 3, badInput: 4, usage: 64 } as const;

/** The default policy, as the action writes it into its configuration. */

export interface CheckOptions {
  readonly policyFile?: string;
  readonly assembly?: string;
  readonly action?: string;
  readonly files: string[];
}

/** Runs the check; returns the exit code. Usage errors are the caller's (64). */
export function runCheck(options: CheckOptions, out: (s: string) => void, err: (s: string) => void): number {
  try {
    const { policy, source } = policyOf(options);
    const result = checkChangeSet(policy, options.files.map(readJsonFile));
    out(formatReport(result, `${source}: ${describePolicy(policy)}`));
    return exitCodeOf(result);
  } catch (e) {
    if (e instanceof InputFileError || e instanceof ChangeSetInputError || e instanceof PolicyFileError) {
      err(`cdk-sfn-deploy check: ${e.message}`);
      return CHECK_EXIT.badInput;
    }
    throw e;
  }
}

class PolicyFileError extends Error {}

const POLICY_SHAPE = 'a policy file holds a policy document ({"type": "denyDestructive" | "rules" | "allowAll", ...}, ' +
  'as SafetyPolicy renders it) or an action\'s UserParameters ({"stackName": ..., "policy": {...}}); ' +
  'to take the policy of a synthesized action, use --assembly cdk.out --action NAME';

function policyOf(options: CheckOptions): { policy: PolicyDocument; source: string } {
  if (options.assembly !== undefined) {
    const action = findDeployAction(options.assembly, options.action!);
    return { policy: validated(action.config.policy ?? DEFAULT_POLICY, `the policy of ${action.id}`), source: `Policy of ${action.id} (${action.what})` };
  }
  if (options.policyFile === undefined) return { policy: DEFAULT_POLICY, source: 'Policy (the default)' };
  const json = readJsonFile(options.policyFile) as Record<string, unknown>;
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new PolicyFileError(`${options.policyFile} is not a policy: ${POLICY_SHAPE}`);
  }
  if ('type' in json) return { policy: validated(json, options.policyFile), source: `Policy from ${options.policyFile}` };
  if (isActionConfig(json)) {
    // A misspelt "policy" would otherwise leave the default policy in its place without a word.
    const unknown = unknownTopLevelKeys(json);
    if (unknown.length > 0) {
      throw new PolicyFileError(`${options.policyFile} has unknown keys ${unknown.map((k) => JSON.stringify(printable(k))).join(', ')} ` +
        `(known: ${TOP_LEVEL_KEYS.join(', ')})`);
    }
    return { policy: validated(json.policy ?? DEFAULT_POLICY, `the policy in ${options.policyFile}`), source: `Policy from ${options.policyFile} (UserParameters)` };
  }
  throw new PolicyFileError(`${options.policyFile} is not a policy: ${POLICY_SHAPE}`);
}

function validated(doc: unknown, what: string): PolicyDocument {
  const problems = validatePolicyDocument(doc);
  if (problems.length > 0) throw new PolicyFileError(`${what} is not a valid policy: ${problems.join('; ')}`);
  if ((doc as PolicyDocument).type === 'function') {
    throw new PolicyFileError(`${what} is a policy function (SafetyPolicy.fromFunction): only the deployed workflow can call it`);
  }
  return doc as PolicyDocument;
}

/** One line naming the policy: what a reader needs to know which rules applied. */
export function describePolicy(policy: PolicyDocument): string {
  switch (policy.type) {
    case 'allowAll': return 'allowAll (every change allowed)';
    case 'function': return `a policy function (${policy.functionArn})`;
    case 'rules': return `rules (${plural(policy.rules.length, 'rule')}, first match decides, otherwise ${policy.defaultVerdict ?? 'DENY'})`;
    case 'denyDestructive': {
      const extras = [
        ...(policy.destructiveVerdict === 'REQUIRE_APPROVAL' ? ['destructive changes need approval'] : []),
        ...(policy.allowReplacementOfTypes ? [`replacement allowed for types ${policy.allowReplacementOfTypes.join(', ')}`] : []),
        ...(policy.allowReplacementOfIds ? [`replacement allowed for ids ${policy.allowReplacementOfIds.join(', ')}`] : []),
        ...(policy.broadeningVerdict ? [`widened permissions: ${policy.broadeningVerdict}`] : []),
      ];
      return `denyDestructiveChanges (no deletion, no replacement, no dynamic change${extras.length > 0 ? `; ${extras.join('; ')}` : ''})`;
    }
  }
}

/** A plain-text report: the policy, one line per change, then the verdict (or why there is none). */
export function formatReport(result: CheckResult, policyLine: string): string {
  const header = ['VERDICT', 'LOGICAL ID', 'TYPE', 'ACTION', 'REPLACEMENT', 'POLICY ACTION', 'RULE'];
  // The cells come from the file given: only their text reaches the terminal, no escape sequence.
  const rows = result.changes.map((c) => [
    c.verdict, [...(c.path ?? []), c.logicalId].join('/'), c.resourceType, c.action, c.replacement ?? '-', c.policyAction ?? '-', c.rule,
  ].map((cell) => printable(String(cell))));
  // A loop, not Math.max(...rows): a change set may have 100,000 changes.
  const widths = header.map((h) => h.length);
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i], cell.length); });
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const lines = [policyLine, '', line(header)];
  result.changes.forEach((change, i) => {
    lines.push(line(rows[i]));
    for (const property of change.properties ?? []) lines.push(`    ${property}`);
  });
  lines.push('');
  if (result.incomplete.length > 0) {
    lines.push('Cannot judge: the change set is not complete, so it is not allowed:', ...result.incomplete.map((p) => `  - ${printable(p)}`));
    lines.push(`Verdict: DENY (incomplete; ${plural(result.changes.length, 'change')} seen)`);
  } else {
    lines.push(`Verdict: ${result.verdict} (${plural(result.changes.length, 'change')})`);
  }
  return lines.join('\n');
}

export function exitCodeOf(result: CheckResult): number {
  if (result.incomplete.length > 0) return CHECK_EXIT.incomplete;
  return { ALLOW: CHECK_EXIT.allowed, DENY: CHECK_EXIT.denied, REQUIRE_APPROVAL: CHECK_EXIT.needsApproval }[result.verdict];
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
