/** The parts of a CloudFormation change set's `Changes` that the policy reads (a subset of `@aws-sdk/client-cloudformation`'s types). */

export interface ChangeInput {
  readonly Type?: string;
  readonly ResourceChange?: {
    readonly Action?: string;
    readonly LogicalResourceId?: string;
    readonly ResourceType?: string;
    readonly Replacement?: string;
    readonly PolicyAction?: string;
    readonly Scope?: string[];
    /** For a nested stack (AWS::CloudFormation::Stack), the ARN of its own change set. */
    readonly ChangeSetId?: string;
    /** In a drift-aware change set: how the resource differs from its template before the change. */
    readonly ResourceDriftStatus?: string;
    /** For a Modify: what it changes, one entry per property (or other attribute). */
    readonly Details?: readonly ChangeDetailInput[];
    /** With property values: the resource before and after, as JSON (`{"Properties": {...}}`). */
    readonly BeforeContext?: string;
    readonly AfterContext?: string;
  };
}

/** The parts of a `ResourceChangeDetail` the policy reads. */
export interface ChangeDetailInput {
  readonly Target?: {
    readonly Attribute?: string;
    readonly Name?: string;
    readonly Path?: string;
    /** With property values: the value before and after (objects as JSON; large values cut by CloudFormation). */
    readonly BeforeValue?: string;
    readonly AfterValue?: string;
    /** Add, Remove, Modify, or SyncWithActual. */
    readonly AttributeChangeType?: string;
  };
}

/** The top-level property a detail's path is under (`/Properties/DBInstanceClass/...` -> `DBInstanceClass`), or undefined. */
export function propertyOfPath(path: unknown): string | undefined {
  return typeof path === 'string' ? /^\/Properties\/([^/]+)/.exec(path)?.[1] : undefined;
}
