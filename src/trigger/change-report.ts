/**
 * The change report: what the deployment decided about each change, as JSON for a later action and as a
 * Markdown page for a person, zipped into the action's output artifact. Built from the execution's output
 * (or, when the execution failed, from its error and cause, which name each refused change).
 */
import { zipSync, strToU8 } from 'fflate';
import type { WorkflowOutput } from './report';
import { outcomeOf, verdictOf } from './report';

/** The report as `report.json` holds it. */
export interface ChangeReport {
  readonly version: 1;
  readonly stackName?: string;
  readonly changeSetName?: string;
  /** SUCCEEDED, FAILED, TIMED_OUT or ABORTED: how the deployment ended. */
  readonly status: string;
  readonly outcome?: string;
  /** The verdict on the change set: NONE (a new stack), SAFE, NEEDS_APPROVAL, APPROVED or UNSAFE. */
  readonly verdict?: string;
  readonly counts?: Record<string, number>;
  readonly changeCount?: number;
  /** Every change with its verdict and rule (the first LIMITS.changesInReport of them). */
  readonly changes?: readonly ReportChange[];
  /** The changes not allowed, with what they do to their properties (secrets masked). */
  readonly refused?: readonly ReportRefusal[];
  readonly approvedBy?: string;
  /** For a deployment that did not succeed: its error and cause. */
  readonly error?: string;
  readonly cause?: string;
}

export interface ReportChange {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly action: string;
  readonly replacement?: string;
  readonly verdict: string;
  readonly rule: string;
  readonly path?: readonly string[];
}

export interface ReportRefusal extends Omit<ReportChange, 'verdict'> {
  readonly properties?: readonly string[];
}

/** The files of the output artifact. */
export const REPORT_FILES = { json: 'report.json', markdown: 'report.md' } as const;

/** The report of a finished execution. */
export function changeReport(status: string, output: WorkflowOutput, failure?: { error?: string; cause?: string }): ChangeReport {
  const { deployment, inspection, approval } = output;
  return {
    version: 1,
    ...(deployment?.stackName ? { stackName: deployment.stackName } : {}),
    ...(deployment?.changeSetName ? { changeSetName: deployment.changeSetName } : {}),
    status,
    ...(status === 'SUCCEEDED' ? { outcome: outcomeOf(output), verdict: verdictOf(output) } : {}),
    ...(inspection ? {
      ...(inspection.counts ? { counts: inspection.counts } : {}),
      ...(inspection.changeCount !== undefined ? { changeCount: inspection.changeCount } : {}),
      ...(Array.isArray(inspection.changes) ? { changes: inspection.changes } : {}),
      refused: Array.isArray(inspection.violations) ? inspection.violations : [],
    } : {}),
    ...(approval?.approved && approval.by ? { approvedBy: approval.by } : {}),
    ...(failure?.error ? { error: failure.error } : {}),
    ...(failure?.cause ? { cause: failure.cause } : {}),
  };
}

/** The report as a Markdown page. */
export function reportMarkdown(report: ChangeReport): string {
  const cell = (text: string | undefined) => (text ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ');
  const name = (c: { path?: readonly string[]; logicalId: string }) => [...(c.path ?? []), c.logicalId].join('/');
  const lines = [
    `# Change report: ${report.stackName ?? 'the stack'}`,
    '',
    `- Status: ${report.status}${report.outcome ? ` (${report.outcome})` : ''}`,
    ...(report.changeSetName ? [`- Change set: ${report.changeSetName}`] : []),
    ...(report.verdict ? [`- Verdict: ${report.verdict}${report.approvedBy ? `, approved by ${report.approvedBy}` : ''}`] : []),
    ...(report.counts ? [`- Changes: ${Object.entries(report.counts).map(([a, n]) => `${n} ${a}`).join(', ') || 'none'}`] : []),
    ...(report.error ? [`- Error: ${report.error}`] : []),
  ];
  if (report.cause) lines.push('', '## Cause', '', report.cause);
  if (report.refused && report.refused.length > 0) {
    lines.push('', '## Not allowed', '');
    for (const r of report.refused) {
      lines.push(`- **${name(r)}** (${r.resourceType}): ${r.action}${r.replacement ? `, replacement ${r.replacement}` : ''}, by ${r.rule}`);
      for (const p of r.properties ?? []) lines.push(`  - ${p}`);
    }
  }
  if (report.changes) {
    lines.push('', '## Every change', '', '| Verdict | Resource | Type | Action | Replacement | Rule |', '| --- | --- | --- | --- | --- | --- |');
    for (const c of report.changes) {
      lines.push(`| ${c.verdict} | ${cell(name(c))} | ${cell(c.resourceType)} | ${c.action} | ${c.replacement ?? ''} | ${cell(c.rule)} |`);
    }
    const more = (report.changeCount ?? 0) - report.changes.length;
    if (more > 0) lines.push('', `... and ${more} more changes (see the change set).`);
  }
  return `${lines.join('\n')}\n`;
}

/** The output artifact's zip: report.json and report.md. */
export function reportZip(report: ChangeReport): Uint8Array {
  return zipSync({
    [REPORT_FILES.json]: strToU8(`${JSON.stringify(report, null, 2)}\n`),
    [REPORT_FILES.markdown]: strToU8(reportMarkdown(report)),
  });
}
