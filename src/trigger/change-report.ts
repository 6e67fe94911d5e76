/**
 * The change report: what the deployment decided about each change, as JSON for a later action and as a
 * Markdown page for a person, zipped into the action's output artifact. Built from the execution's output
 * (or, when the execution failed, from its error and cause, which name each refused change).
 */
import { zipSync, strToU8 } from 'fflate';
import type { WorkflowOutput } from './report';
import { verdictOf, workflowOutcome } from './report';
import { maskSecrets } from '../policy/safe-value';
import { FAILURE_NAMES, ROLLED_BACK_ON_ALARM } from '../shared/errors';

/** What the report says of one change set: the verdict on it and its changes. */
export interface ChangeSetReport {
  readonly changeSetName?: string;
  /** The verdict on the change set: NONE (a new stack), the policy's ALLOW, REQUIRE_APPROVAL or DENY, or APPROVED (a person allowed it). */
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
  /**
   * The change set was executed, and CloudFormation rolled it back because a rollback alarm went to ALARM: every
   * change listed was undone (the cause names the alarm and the stack's final status).
   */
  readonly rolledBack?: boolean;
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
/** The failures of a stack operation CloudFormation ran: the only ones a rollback alarm can have rolled back. */
const OPERATION_FAILURES = new Set<string>([FAILURE_NAMES.stackUpdateFailed, FAILURE_NAMES.stackCreationFailed, FAILURE_NAMES.unitStackFailed]);

export function changeReport(status: string, output: WorkflowOutput, failure?: { error?: string; cause?: string }): ChangeReport {
  const { deployment, inspection, approval, unit } = output;
  if (unit) {
    const approvers = [...(unit.approvals ?? []), ...(unit.approval ? [unit.approval] : [])].filter((a) => a.approved && a.by).map((a) => a.by);
    return {
      version: 1,
      status,
      ...(status === 'SUCCEEDED' ? { outcome: workflowOutcome(output), verdict: verdictOf(output) } : {}),
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
    ...(status === 'SUCCEEDED' ? { outcome: workflowOutcome(output), verdict: verdictOf(output) } : {}),
    ...(inspection ? {
      ...(inspection.counts ? { counts: inspection.counts } : {}),
      ...(inspection.changeCount !== undefined ? { changeCount: inspection.changeCount } : {}),
      ...(Array.isArray(inspection.changes) ? { changes: inspection.changes } : {}),
      refused: Array.isArray(inspection.violations) ? inspection.violations : [],
    } : {}),
    ...(approval?.approved && approval.by ? { approvedBy: approval.by } : {}),
    ...(failure?.error ? { error: failure.error } : {}),
    // A cause may quote values (CloudFormation's reasons, a task's error): kept as far as they are safe to show.
    ...(failure?.cause ? { cause: maskSecrets(failure.cause) } : {}),
    // Only a stack operation's failure tells a rollback; an alarm's state reason quoted in another failure (a deployment
    // refused for a firing alarm) could hold the same words.
    ...(failure?.cause?.includes(ROLLED_BACK_ON_ALARM) && OPERATION_FAILURES.has(failure.error ?? '') ? { rolledBack: true } : {}),
  };
}

/**
 * The report as a Markdown page. Every text that comes from outside (names, rules, property lines, the cause,
 * who approved) is written as code, where Markdown makes no link, image or HTML of it; a cell's pipes are
 * escaped, line breaks become spaces.
 */
export function reportMarkdown(report: ChangeReport): string {
  const lines = [
    `# Change report: ${report.stacks ? `${report.stacks.length} stacks as one unit` : report.stackName !== undefined ? md(report.stackName) : 'the stack'}`,
    '',
    `- Status: ${md(report.status)}${report.outcome ? ` (${md(report.outcome)})` : ''}`,
    ...(report.changeSetName ? [`- Change set: ${md(report.changeSetName)}`] : []),
    ...(report.verdict ? [`- Verdict: ${md(report.verdict)}${report.approvedBy ? `, approved by ${md(report.approvedBy)}` : ''}`] : []),
    ...(report.counts ? [`- Changes: ${countsText(report.counts)}`] : []),
    ...(report.error ? [`- Error: ${md(report.error)}`] : []),
    ...(report.rolledBack ? ['- Rolled back: a rollback alarm went to ALARM, and CloudFormation undid every change below (see the cause)'] : []),
  ];
  if (report.cause) lines.push('', '## Cause', '', ...codeBlock(report.cause));
  changeLines(report, lines, '##');
  for (const stack of report.stacks ?? []) {
    lines.push('', `## ${md(stack.stackName)}: ${md(stack.status)}`, '');
    if (stack.changeSetName) lines.push(`- Change set: ${md(stack.changeSetName)}`);
    if (stack.verdict) lines.push(`- Verdict: ${md(stack.verdict)}`);
    if (stack.counts) lines.push(`- Changes: ${countsText(stack.counts)}`);
    changeLines(stack, lines, '###');
  }
  return `${lines.join('\n')}\n`;
}

/** A stack's changes not allowed, then every change, under headings of the given level. */
function changeLines(report: Pick<ChangeReport, 'refused' | 'changes' | 'changeCount'>, lines: string[], level: string): void {
  const cell = (text: string | undefined) => (text ? md(text).replace(/\|/g, '\\|') : '');
  const name = (c: { path?: readonly string[]; logicalId: string }) => [...(c.path ?? []), c.logicalId].join('/');
  if (report.refused && report.refused.length > 0) {
    lines.push('', `${level} Not allowed`, '');
    for (const r of report.refused) {
      lines.push(`- **${md(name(r))}** (${md(r.resourceType)}): ${md(r.action)}${r.replacement ? `, replacement ${md(r.replacement)}` : ''}, by ${md(r.rule)}`);
      for (const p of r.properties ?? []) lines.push(`  - ${code(p)}`);
    }
  }
  if (report.changes) {
    lines.push('', `${level} Every change`, '', '| Verdict | Resource | Type | Action | Replacement | Rule |', '| --- | --- | --- | --- | --- | --- |');
    for (const c of report.changes) {
      lines.push(`| ${cell(c.verdict)} | ${cell(name(c))} | ${cell(c.resourceType)} | ${cell(c.action)} | ${cell(c.replacement)} | ${cell(c.rule)} |`);
    }
    const more = (report.changeCount ?? 0) - report.changes.length;
    if (more > 0) lines.push('', `... and ${more} more changes (see the change set).`);
  }
}

function countsText(counts: Record<string, number>): string {
  return Object.entries(counts).map(([a, n]) => `${Number(n)} ${md(a)}`).join(', ') || 'none';
}

/** Text that Markdown reads as itself: names and words (`AWS::RDS::DBInstance`, `rule #1 (needs approval)`). */
const PLAIN = /^[A-Za-z0-9 :,#()-]*$|^(?:[A-Za-z0-9 :,#()-]|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))*$/;

/** Text from outside as it is when Markdown reads it as itself, else as code. */
function md(text: unknown): string {
  const flat = String(text).replace(/\s+/g, ' ');
  return PLAIN.test(flat) ? flat : code(flat);
}

/** A code span: no link, image, emphasis or HTML inside; a fence longer than any run of backticks in the text. */
function code(text: unknown): string {
  const flat = String(text).replace(/\s+/g, ' ');
  const fence = '`'.repeat(Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const pad = /^[ `]|[ `]$/.test(flat) || flat.length === 0 ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced code block: its lines are shown as they are, none read as Markdown. */
function codeBlock(text: string): string[] {
  const fence = '`'.repeat(Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return [fence, ...text.split(/\r\n|\r|\n/), fence];
}

/** The output artifact's zip: report.json and report.md. */
export function reportZip(report: ChangeReport): Uint8Array {
  return zipSync({
    [REPORT_FILES.json]: strToU8(`${JSON.stringify(report, null, 2)}\n`),
    [REPORT_FILES.markdown]: strToU8(reportMarkdown(report)),
  });
}
