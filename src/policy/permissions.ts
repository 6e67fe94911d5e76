/**
 * Whether a change widens permissions, as CDK's security diff reads it: an IAM statement that allows more
 * (added or widened in an identity policy, an inline policy, a trust policy, a resource policy of S3, SQS, SNS
 * or KMS), a deny statement taken away, a managed policy or a member attached, a permissions boundary changed, a
 * Lambda permission, or a security-group rule added (inline or as its own resource). A new resource that grants
 * permissions widens them; removing statements, rules or resources narrows them.
 *
 * It reads the resource before and after (`BeforeContext` / `AfterContext`, given with property values).
 * Where it cannot see what a permission property becomes, it says the change widens permissions: fail closed.
 */
import { propertyOfPath } from './change-input';
import type { ChangeDetailInput, ChangeInput } from './change-input';

/** How a property grants permissions. */
type Grant = 'document' | 'inlinePolicies' | 'attachments' | 'boundary' | 'rules' | 'any';

/** The properties that grant permissions, per resource type; `*`: the resource is itself a grant. */
const GRANTING: Record<string, Record<string, Grant>> = {
  'AWS::IAM::Role': { AssumeRolePolicyDocument: 'document', Policies: 'inlinePolicies', ManagedPolicyArns: 'attachments', PermissionsBoundary: 'boundary' },
  'AWS::IAM::User': { Policies: 'inlinePolicies', ManagedPolicyArns: 'attachments', Groups: 'attachments', PermissionsBoundary: 'boundary' },
  'AWS::IAM::Group': { Policies: 'inlinePolicies', ManagedPolicyArns: 'attachments' },
  'AWS::IAM::Policy': { PolicyDocument: 'document', Roles: 'attachments', Users: 'attachments', Groups: 'attachments' },
  'AWS::IAM::ManagedPolicy': { PolicyDocument: 'document', Roles: 'attachments', Users: 'attachments', Groups: 'attachments' },
  'AWS::IAM::RolePolicy': { PolicyDocument: 'document', RoleName: 'any' },
  'AWS::IAM::UserPolicy': { PolicyDocument: 'document', UserName: 'any' },
  'AWS::IAM::GroupPolicy': { PolicyDocument: 'document', GroupName: 'any' },
  'AWS::IAM::UserToGroupAddition': { Users: 'attachments', GroupName: 'any' },
  'AWS::S3::BucketPolicy': { PolicyDocument: 'document', Bucket: 'any' },
  'AWS::SQS::QueuePolicy': { PolicyDocument: 'document', Queues: 'attachments' },
  'AWS::SQS::QueueInlinePolicy': { PolicyDocument: 'document', Queue: 'any' },
  'AWS::SNS::TopicPolicy': { PolicyDocument: 'document', Topics: 'attachments' },
  'AWS::SNS::TopicInlinePolicy': { PolicyDocument: 'document', TopicArn: 'any' },
  'AWS::KMS::Key': { KeyPolicy: 'document' },
  'AWS::Lambda::Permission': { '*': 'any' },
  'AWS::EC2::SecurityGroup': { SecurityGroupIngress: 'rules', SecurityGroupEgress: 'rules' },
  'AWS::EC2::SecurityGroupIngress': { '*': 'any' },
  'AWS::EC2::SecurityGroupEgress': { '*': 'any' },
};

/** The resource types whose changes can widen permissions. */
export const PERMISSION_RESOURCE_TYPES: readonly string[] = Object.keys(GRANTING);

/** How the change widens permissions, in a few words naming the statement or rule, or undefined when it does not. */
export function permissionBroadening(change: ChangeInput): string | undefined {
  const rc = change?.ResourceChange;
  const granting = rc?.ResourceType ? GRANTING[rc.ResourceType] : undefined;
  if (!rc || !granting) return undefined;
  const after = propertiesOf(rc.AfterContext);
  switch (rc.Action) {
    case 'Add':
      return grantsAnything(granting, after) ? `new ${rc.ResourceType} grants permissions` : undefined;
    case 'Modify':
    case 'Dynamic':
      return widened(granting, rc.Details, propertiesOf(rc.BeforeContext), after);
    default:
      // Remove narrows; Import and SyncWithActual change no permission.
      return undefined;
  }
}

/**
 * A new resource grants permissions unless it shows that it has none of its granting properties. A security
 * group without egress rules still grants: EC2 gives it the default rule that allows all outbound traffic.
 */
function grantsAnything(granting: Record<string, Grant>, after: Properties | undefined): boolean {
  if (!after || granting['*']) return true;
  if ('SecurityGroupEgress' in granting && isEmpty(after.SecurityGroupEgress)) return true;
  return Object.entries(granting).some(([name, grant]) => grant !== 'boundary' && !isEmpty(after[name]));
}

function widened(
  granting: Record<string, Grant>, details: readonly ChangeDetailInput[] | undefined, before: Properties | undefined, after: Properties | undefined,
): string | undefined {
  const touched = touchedProperties(details);
  const names = granting['*'] ? ['*'] : Object.keys(granting).filter((name) => touched === undefined || touched.has(name));
  for (const name of names) {
    if (name === '*') return 'changes a permission resource';
    if (!before || !after) return `changes ${name}, whose values CloudFormation did not give`;
    const reason = widenedProperty(granting[name], name, before[name], after[name]);
    if (reason) return reason;
  }
  return undefined;
}

/** The top-level properties the details name, or undefined when a detail names none (then every granting property counts). */
function touchedProperties(details: readonly ChangeDetailInput[] | undefined): Set<string> | undefined {
  if (!Array.isArray(details) || details.length === 0) return undefined;
  const names = new Set<string>();
  for (const detail of details) {
    const target = detail?.Target;
    const attribute = typeof target?.Attribute === 'string' ? target.Attribute : undefined;
    // Another attribute (Tags, Metadata, UpdatePolicy...) grants nothing; a detail that does not say is a property.
    if (attribute !== undefined && !/^properties$/i.test(attribute)) continue;
    const fromPath = propertyOfPath(target?.Path);
    if (!target?.Name && !fromPath) return undefined;
    for (const name of [target?.Name, fromPath]) if (name) names.add(name);
  }
  return names;
}

function widenedProperty(grant: Grant, name: string, before: unknown, after: unknown): string | undefined {
  switch (grant) {
    case 'document':
    case 'inlinePolicies': {
      const read = grant === 'document' ? statementsOf : inlineStatements;
      const [had, has] = [read(before), read(after)];
      // A document that is not there or not readable as statements (a value known only after the change): fail closed.
      if (has === undefined || (had === undefined && before !== undefined)) return `changes ${name}, whose statements cannot be read`;
      return widenedStatements(name, had ?? [], has);
    }
    case 'attachments': {
      const had = new Set(listOf(before).map(canonical));
      const added = listOf(after).filter((item) => !had.has(canonical(item)));
      return added.length > 0 ? `${name} adds ${shortJson(added[0])}` : undefined;
    }
    case 'rules': {
      if (name === 'SecurityGroupEgress' && !isEmpty(before) && isEmpty(after)) {
        return 'SecurityGroupEgress loses its rules: EC2 restores the default that allows all outbound traffic';
      }
      const had = new Set(listOf(before).map(canonical));
      const added = listOf(after).filter((rule) => !had.has(canonical(rule)));
      return added.length > 0 ? `${name} adds the rule ${describeRule(added[0])}` : undefined;
    }
    case 'boundary':
    case 'any':
      return canonical(before) === canonical(after) ? undefined : `changes ${name}`;
  }
}

type Properties = Record<string, unknown>;
type Statement = Record<string, unknown>;

function propertiesOf(context: string | undefined): Properties | undefined {
  if (typeof context !== 'string') return undefined;
  try {
    const properties = JSON.parse(context)?.Properties;
    return properties !== null && typeof properties === 'object' && !Array.isArray(properties) ? properties : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The statements of a policy document (an object, or JSON text), or undefined when it is not one: missing,
 * not JSON, or a statement that is not an object.
 */
function statementsOf(document: unknown): Statement[] | undefined {
  const doc = typeof document === 'string' ? parseOr(document, undefined) : document;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const statements = listOf((doc as { Statement?: unknown }).Statement);
  return statements.every((s): s is Statement => s !== null && typeof s === 'object' && !Array.isArray(s)) ? statements : undefined;
}

/** The statements of a list of inline policies (`Policies`), or undefined when one of them cannot be read. */
function inlineStatements(policies: unknown): Statement[] | undefined {
  if (policies === undefined || policies === null) return [];
  const documents = listOf(policies).map((policy) => statementsOf((policy as { PolicyDocument?: unknown } | undefined)?.PolicyDocument));
  return documents.every((d): d is Statement[] => d !== undefined) ? documents.flat() : undefined;
}

/**
 * Allow statements that allow more than any statement before (added, or widened), and deny statements that
 * deny less than before (removed, or narrowed), name the widening.
 */
function widenedStatements(name: string, before: Statement[], after: Statement[]): string | undefined {
  const allows = (list: Statement[]) => list.filter((s) => s.Effect !== 'Deny');
  const denies = (list: Statement[]) => list.filter((s) => s.Effect === 'Deny');
  const wider = allows(after).find((s) => !allows(before).some((b) => covers(b, s)));
  if (wider) return `${name} allows more: ${describeStatement(wider)}`;
  const lifted = denies(before).find((d) => !denies(after).some((a) => covers(a, d)));
  if (lifted) return `${name} denies less: ${describeStatement(lifted)} is gone`;
  return undefined;
}

/** `outer` grants (or denies) at least what `inner` does: same conditions and exclusions, and every action, resource and principal of `inner`. */
function covers(outer: Statement, inner: Statement): boolean {
  const same = (key: string) => canonical(outer[key]) === canonical(inner[key]);
  if (!['Effect', 'Condition', 'NotAction', 'NotResource', 'NotPrincipal'].every(same)) return false;
  const within = (key: string, flatten: (v: unknown) => string[]) => {
    const have = new Set(flatten(outer[key]));
    return have.has('*') || flatten(inner[key]).every((v) => have.has(v));
  };
  return within('Action', strings) && within('Resource', strings) && within('Principal', principals);
}

function strings(value: unknown): string[] {
  return listOf(value).map((v) => (typeof v === 'string' ? v : canonical(v)));
}

/** `{"AWS": ["arn", ...], "Service": "x"}` as `AWS:arn`, `Service:x`; the string `"*"` (everyone) as `*`. */
function principals(value: unknown): string[] {
  if (value === undefined) return [];
  if (value === '*') return ['*'];
  if (value === null || typeof value !== 'object') return [canonical(value)];
  return Object.entries(value as Record<string, unknown>).flatMap(([kind, ids]) => strings(ids).map((id) => `${kind}:${id}`));
}

function describeStatement(s: Statement): string {
  const parts = [
    s.Sid ? `Sid ${String(s.Sid)}` : undefined,
    s.Action !== undefined ? `Action ${strings(s.Action).join(',')}` : s.NotAction !== undefined ? `NotAction ${strings(s.NotAction).join(',')}` : undefined,
    s.Resource !== undefined ? `Resource ${strings(s.Resource).join(',')}` : undefined,
    s.Principal !== undefined ? `Principal ${principals(s.Principal).join(',')}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return shortenSummary(`${String(s.Effect ?? 'Allow')} ${parts.join(' ')}`, 200);
}

function describeRule(rule: unknown): string {
  const r = (rule ?? {}) as Record<string, unknown>;
  const peer = r.CidrIp ?? r.CidrIpv6 ?? r.SourceSecurityGroupId ?? r.DestinationSecurityGroupId ?? r.SourcePrefixListId ?? r.DestinationPrefixListId;
  const ports = r.FromPort === undefined ? 'all ports' : r.FromPort === r.ToPort ? `port ${String(r.FromPort)}` : `ports ${String(r.FromPort)}-${String(r.ToPort)}`;
  return shortenSummary(`${String(r.IpProtocol ?? '?')} ${ports} ${peer !== undefined ? `with ${String(peer)}` : ''}`.trim(), 200);
}

function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

/** JSON with sorted keys and sorted lists of plain strings: two equal grants read the same. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const items = v.map(sort);
      return items.every((i) => typeof i === 'string') ? [...items].sort() : items;
    }
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(typeof value === 'string' ? parseOr(value, value) : value)) ?? 'undefined';
}

function parseOr(text: string, fallback: unknown): unknown {
  if (!/^\s*[[{]/.test(text)) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

function shortJson(value: unknown): string {
  return shortenSummary(typeof value === 'string' ? value : canonical(value), 120);
}

function shortenSummary(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
