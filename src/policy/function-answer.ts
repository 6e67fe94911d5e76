/**
 * A policy function's answer, read the fail-closed way: what the function may answer, and the verdict each
 * change gets from it. Pure logic; the workflow invokes the function and hands the answer here.
 */
import { RULES, combine, describeChange, uninspectedNestedStack, unrecognisedValue } from './evaluate';
import type { ChangeContext, ChangeInput, ChangeVerdict } from './evaluate';
import { maskSecrets } from './safe-value';
import { truncate } from '../shared/errors';
import type { FunctionPolicyAnswer, Verdict } from '../shared/policy-document';
import { VERDICTS } from '../shared/policy-vocabulary';

/**
 * The verdict on every change from the function's answer. Changes with values the library does not recognise,
 * and nested stacks whose change set was not inspected, are denied whatever the function says.
 */
export function applyFunctionAnswer(
  answer: FunctionPolicyAnswer, changes: readonly ChangeInput[], contexts: readonly ChangeContext[],
): ChangeVerdict[] {
  const base = changes.map((change) => describeChange(change));
  // A change the function names gets the verdict the function gives it. The others are allowed when the
  // named ones account for the function's verdict; otherwise they get that verdict, with its first reason.
  const named = (answer.reasons ?? []).filter((r) => r.logicalId !== undefined);
  const explained = named.length > 0 && combine(named.map((r) => r.verdict ?? answer.verdict)) === answer.verdict;
  const general = (answer.reasons ?? []).find((r) => r.logicalId === undefined)?.reason;
  const verdicts = changes.map((change, i): ChangeVerdict => {
    const context = contexts[i];
    const unrecognised = unrecognisedValue(change);
    if (unrecognised) return { ...base[i], verdict: 'DENY', rule: `${RULES.unrecognised}: ${unrecognised}` };
    const uninspected = uninspectedNestedStack(change, context);
    if (uninspected) return { ...base[i], verdict: 'DENY', rule: uninspected };
    const reason = named.find((r) => r.logicalId === base[i].logicalId);
    if (reason) return { ...base[i], verdict: reason.verdict ?? answer.verdict, rule: `${RULES.functionDecides}: ${reason.reason}` };
    const verdict: Verdict = explained ? 'ALLOW' : answer.verdict;
    return { ...base[i], verdict, rule: general ? `${RULES.functionDecides}: ${general}` : RULES.functionDecides };
  });
  // Fail closed: reasons that name resources outside the change set, or one resource twice, never make the
  // change set milder than the function's own verdict; the milder changes get that verdict.
  if (combine([...verdicts.map((v) => v.verdict), answer.verdict]) === combine(verdicts.map((v) => v.verdict))) return verdicts;
  return verdicts.map((v) => (combine([v.verdict, answer.verdict]) === v.verdict ? v
    : { ...v, verdict: answer.verdict, rule: general ? `${RULES.functionDecides}: ${general}` : RULES.functionDecides }));
}

/** Reads the function's answer; anything it cannot read is a DENY (fail closed). */
export function readAnswer(text: string): FunctionPolicyAnswer {
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { verdict: 'DENY', reasons: [{ reason: 'the policy function\'s answer is not JSON' }] };
  }
  if (!parsed || !VERDICTS.includes(parsed.verdict)) {
    return { verdict: 'DENY', reasons: [{ reason: `the policy function answered an unknown verdict ${truncate(JSON.stringify(parsed?.verdict) ?? 'undefined', 100)}` }] };
  }
  const reasons = Array.isArray(parsed.reasons) ? parsed.reasons
    // A reason without its text still counts: its verdict is the function's word on that resource.
    .filter((r: any) => r && typeof r === 'object')
    .map((r: any) => ({
      ...(typeof r.logicalId === 'string' ? { logicalId: r.logicalId } : {}),
      verdict: VERDICTS.includes(r.verdict) ? r.verdict : (r.verdict === undefined ? parsed.verdict : 'DENY'),
      // The function reads every value of the change set: what it says is shown only as far as it is safe to show.
      reason: typeof r.reason === 'string' ? truncate(maskSecrets(r.reason), 500) : '(no reason given)',
    })) : undefined;
  // A change-set verdict the reasons contradict is read the safer way: the worst of them all.
  const verdict = combine([parsed.verdict, ...(reasons ?? []).map((r: { verdict: Verdict }) => r.verdict)]);
  return { verdict, ...(reasons ? { reasons } : {}) };
}
