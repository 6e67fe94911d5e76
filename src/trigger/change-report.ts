/**
 * The change report: what the deployment decided about each change, as JSON for a later action and as a
 * Markdown page for a person, zipped into the action's output artifact. Built from the execution's output
 * (or, when the execution failed, from its error and cause, which name each refused change).
 */
import { zipSync, strToU8 } from 'fflate';
import type { WorkflowOutput } from './report';
import { outcomeOf, verdictOf } from './report';

/** What the report says of one change set: the verdict on it and its changes. */
export interface ChangeSetReport {
  readonly changeSetName?: string;
  /** The verdict on the change set: NONE (a new stack), SAFE, NEEDS_APPROVAL, APPROVED or UNSAFE. */
  readonly verdict?: string;
  readonly counts?: Record<string, number>;
  readonly changeCount?: number;
  /** Every change with its verdict and rule (the first LIMITS.changesInReport of them, a share of them in a unit). */
  readonly changes?: readonly ReportChange[];
  /** The changes not allowed, with what they do to their properties (secrets masked). */
  readonly refused?: readonly ReportRefusal[];
}

/** The report as `report.json` holds it. */
export interface ChangeReport extends ChangeSetReport {
  readonly version: 1;
  readonly stackName?: string;
  /** SUCCEEDED, FAILED, TIMED_OUT or ABORTED: how the deployment ended. */
  readonly status: string;
  readonly outcome?: string;
  readonly approvedBy?: string;
  /** For a deployment that did not succeed: its error and cause. */
  readonly error?: string;
  readonly cause?: string;
  /** A unit of stacks: each stack, in the order they deploy, with what happened to it and its changes. */
  readonly stacks?: readonly StackReport[];
}

/** One stack of a unit in the report. */
export interface StackReport extends ChangeSetReport {
  readonly stackName: string;
  /** CREATED, UPDATED, NO_CHANGES, FAILED or UNTOUCHED. */
  readonly status: string;
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
  const { deployment, inspection, approval, unit } = output;
  if (unit) {
    const approvers = [...(unit.approvals ?? []), ...(unit.approval ? [unit.approval] : [])].filter((a) => a.approved && a.by).map((a) => a.by);
    return {
      version: 1,
      status,
      ...(status === 'SUCCEEDED' ? { outcome: outcomeOf(output), verdict: verdictOf(output) } : {}),
      ...(approvers.length > 0 ? { approvedBy: approvers.join(', ') } : {}),
      stacks: unit.members.map((m): StackReport => {
        const i = m.review?.inspection;
        return {
          stackName: m.stackName,
          status: m.status,
          ...(m.review?.changeSet?.name ? { changeSetName: m.review.changeSet.name } : {}),
          ...(i ? {
            verdict: i.verdict,
            counts: i.counts,
            changeCount: i.changeCount,
            ...(Array.isArray(i.changes) ? { changes: i.changes } : {}),
            refused: Array.isArray(i.violations) ? i.violations : [],
          } : {}),
        };
      }),
    };
  }
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
  const lines = [
    `# Change report: ${report.stacks ? `${report.stacks.length} stacks as one unit` : report.stackName ?? 'the stack'}`,
    '',
    `- Status: ${report.status}${report.outcome ? ` (${report.outcome})` : ''}`,
    ...(report.changeSetName ? [`- Change set: ${report.changeSetName}`] : []),
    ...(report.verdict ? [`- Verdict: ${report.verdict}${report.approvedBy ? `, approved by ${report.approvedBy}` : ''}`] : []),
    ...(report.counts ? [`- Changes: ${Object.entries(report.counts).map(([a, n]) => `${n} ${a}`).join(', ') || 'none'}`] : []),
    ...(report.error ? [`- Error: ${report.error}`] : []),
  ];
  if (report.cause) lines.push('', '## Cause', '', report.cause);
  changeLines(report, lines, '##');
  for (const stack of report.stacks ?? []) {
    lines.push('', `## ${stack.stackName}: ${stack.status}`, '');
    if (stack.changeSetName) lines.push(`- Change set: ${stack.changeSetName}`);
    if (stack.verdict) lines.push(`- Verdict: ${stack.verdict}`);
    if (stack.counts) lines.push(`- Changes: ${Object.entries(stack.counts).map(([a, n]) => `${n} ${a}`).join(', ') || 'none'}`);
    changeLines(stack, lines, '###');
  }
  return `${lines.join('\n')}\n`;
}

/** A stack's changes not allowed, then every change, under headings of the given level. */
function changeLines(report: Pick<ChangeReport, 'refused' | 'changes' | 'changeCount'>, lines: string[], level: string): void {
  const cell = (text: string | undefined) => (text ?? '').replace(/\|/g, '\\|').replace(/\s+/g, ' ');
  const name = (c: { path?: readonly string[]; logicalId: string }) => [...(c.path ?? []), c.logicalId].join('/');
  if (report.refused && report.refused.length > 0) {
    lines.push('', `${level} Not allowed`, '');
    for (const r of report.refused) {
      lines.push(`- **${name(r)}** (${r.resourceType}): ${r.action}${r.replacement ? `, replacement ${r.replacement}` : ''}, by ${r.rule}`);
      for (const p of r.properties ?? []) lines.push(`  - ${p}`);
    }
  }
  if (report.changes) {
    lines.push('', `${level} Every change`, '', '| Verdict | Resource | Type | Action | Replacement | Rule |', '| --- | --- | --- | --- | --- | --- |');
    for (const c of report.changes) {
      lines.push(`| ${c.verdict} | ${cell(name(c))} | ${cell(c.resourceType)} | ${c.action} | ${c.replacement ?? ''} | ${cell(c.rule)} |`);
    }
    const more = (report.changeCount ?? 0) - report.changes.length;
    if (more > 0) lines.push('', `... and ${more} more changes (see the change set).`);
  }
}

/** The output artifact's zip: report.json and report.md. */
export function reportZip(report: ChangeReport): Uint8Array {
  return zipSync({
    [REPORT_FILES.json]: strToU8(`${JSON.stringify(report, null, 2)}\n`),
    [REPORT_FILES.markdown]: strToU8(reportMarkdown(report)),
  });
}
