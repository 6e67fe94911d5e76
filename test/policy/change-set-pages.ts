/**
 * What the page walker's tests share: a change of a change set as DescribeChangeSet lists it, and the walk's options
 * for a root change set whose nested stacks name their change set by id.
 */
import type { WalkOptions } from '../../src/policy/change-set-reader';

/** A resource change: `action` on `logicalId` of `type`, with more of its fields (`ChangeSetId` for a nested stack). */
export function change(action: string, logicalId: string, type: string, extra: Record<string, unknown> = {}) {
  return { Type: 'Resource', ResourceChange: { Action: action, LogicalResourceId: logicalId, ResourceType: type, ...extra } };
}

/** The walk from change set `root` (named `cs` in errors), stopping at the first problem unless `overrides` say otherwise. */
export function walkOptions(root: string, overrides: Partial<WalkOptions<string>> = {}): WalkOptions<string> {
  return {
    root,
    name: 'cs',
    stopAtProblem: true,
    nestedChangeSet: (c) => {
      const id = (c as { ResourceChange?: { ChangeSetId?: string } }).ResourceChange?.ChangeSetId;
      return id ? { changeSet: id } : { notRead: 'no change set' };
    },
    ...overrides,
  };
}
