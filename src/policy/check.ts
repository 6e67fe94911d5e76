/**
 * The offline check: the same evaluation the workflow runs, on the JSON that
 * `aws cloudformation describe-change-set` prints (one page or several). Pure.
 */
import { evaluateChanges } from './evaluate';
import type { ChangeInput, PolicyResult } from './evaluate';
import type { PolicyDocument } from './policy-document';
import { validatePolicyDocument } from './validate-document';

/** The changes of one or several DescribeChangeSet pages (objects with `Changes`), or of a bare `Changes` list. */
export function changesOfPages(pages: unknown[]): ChangeInput[] {
  const changes: ChangeInput[] = [];
  pages.forEach((page, i) => {
    if (Array.isArray(page)) {
      changes.push(...(page as ChangeInput[]));
      return;
    }
    const p = page as { Changes?: unknown };
    if (!p || typeof p !== 'object' || !Array.isArray(p.Changes)) {
      throw new Error(`page ${i + 1} is not the output of describe-change-set: it has no "Changes" list`);
    }
    changes.push(...(p.Changes as ChangeInput[]));
  });
  return changes;
}

/**
 * A policy from JSON: a policy document (`{"type": "rules", ...}`), or the action's UserParameters
 * (`{"stackName": ..., "policy": {...}}`; without "policy" it is the default policy).
 */
export function policyFromJson(json: unknown): PolicyDocument {
  const obj = json as Record<string, unknown>;
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('the policy file must hold a JSON object');
  const doc = ('type' in obj ? obj : (obj.policy ?? { type: 'denyDestructive' })) as PolicyDocument;
  const problems = validatePolicyDocument(doc);
  if (problems.length > 0) throw new Error(`invalid policy: ${problems.join('; ')}`);
  return doc;
}

export function checkChangeSet(policy: PolicyDocument, pages: unknown[]): PolicyResult {
  return evaluateChanges(policy, changesOfPages(pages));
}

/** A plain-text report, one line per change, then the verdict. */
export function formatReport(result: PolicyResult): string {
  const rows = result.changes.map((c) => [
    c.verdict, c.logicalId, c.resourceType, c.action, c.replacement ?? '-', c.policyAction ?? '-', c.rule,
  ]);
  const header = ['VERDICT', 'LOGICAL ID', 'TYPE', 'ACTION', 'REPLACEMENT', 'POLICY ACTION', 'RULE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line), '', `Verdict: ${result.verdict} (${result.changes.length} changes)`].join('\n');
}

/** Exit codes of the CLI's check: 0 allowed, 1 denied, 2 needs approval. */
export function exitCodeOf(result: PolicyResult): number {
  return { ALLOW: 0, DENY: 1, REQUIRE_APPROVAL: 2 }[result.verdict];
}
