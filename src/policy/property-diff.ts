/**
 * What a change does to its properties, in words for people: `DBInstanceClass: db.t3.micro -> db.r6g.large`,
 * from the `Details` that DescribeChangeSet gives with property values. A value CloudFormation masks stays as
 * CloudFormation gives it; every other value is shown only when it is judged safe to show (./safe-value.ts: its
 * name, its property, its shape, its entropy), with the values of secret-named keys inside JSON values and the
 * credentials written inside text masked first. Every line is cut to fit the messages it goes into.
 */
import type { ChangeDetailInput, ChangeInput } from './change-input';
import { MASKED, isSecretName, maskSecrets, shownValue } from './safe-value';
import type { ValuePlace } from './safe-value';

export { MASKED, SECRET_NAME } from './safe-value';

/** How much of a change's property changes a message shows. */
export interface DiffLimits {
  /** Property lines per change. */
  readonly lines: number;
  /** Characters of each value. */
  readonly valueChars: number;
}

export const DEFAULT_DIFF_LIMITS: DiffLimits = { lines: 3, valueChars: 60 };

/**
 * One line per property the change touches, at most `limits.lines` (and a line saying how many more), or none
 * for a change that lists no properties (an addition, a removal).
 */
export function propertyDiffs(change: ChangeInput, limits: DiffLimits = DEFAULT_DIFF_LIMITS): string[] {
  const rc = change?.ResourceChange;
  const details = rc?.Details;
  if (!Array.isArray(details)) return [];
  const contexts = [parseContext(rc?.BeforeContext), parseContext(rc?.AfterContext)];
  const resourceType = typeof rc?.ResourceType === 'string' ? rc.ResourceType : undefined;
  const lines = details.map((detail) => describeDetail(detail, limits.valueChars, contexts, resourceType))
    .filter((l): l is string => l !== undefined);
  const unique = [...new Set(lines)];
  if (unique.length <= limits.lines) return unique;
  return [...unique.slice(0, limits.lines), `and ${unique.length - limits.lines} more`];
}

function describeDetail(detail: ChangeDetailInput, valueChars: number, contexts: unknown[], resourceType: string | undefined): string | undefined {
  const target = detail?.Target;
  if (!target) return undefined;
  const path = targetLabel(target);
  if (!path) return undefined;
  const label = flattenAndShorten(maskSecrets(path), valueChars);
  const place: ValuePlace = { resourceType, path, namedSecret: contexts.some((context) => namedSecret(parentOf(context, target.Path))) };
  const show = (value: string | undefined) => {
    if (typeof value !== 'string') return undefined;
    const shown = shownValue(maskInside(maskCredentials(value)), place);
    return shown === MASKED ? MASKED : flattenAndShorten(shown, valueChars);
  };
  const before = show(target.BeforeValue);
  const after = show(target.AfterValue);
  switch (target.AttributeChangeType) {
    case 'Add': return `${label}: added${after !== undefined ? ` ${after}` : ''}`;
    case 'Remove': return `${label}: removed${before !== undefined ? ` (was ${before})` : ''}`;
    case 'SyncWithActual': return `${label}: drift record reset, not changed`;
    default:
      if (before === undefined && after === undefined) return `${label} changes`;
      return `${label}: ${before ?? '(not given)'} -> ${after ?? '(not given)'}`;
  }
}

/** `DBInstanceClass`, `Tags/0/Value`: the path without `/Properties/`, else the property's name, else the attribute. */
function targetLabel(target: NonNullable<ChangeDetailInput['Target']>): string | undefined {
  if (typeof target.Path === 'string' && target.Path.length > 0) return target.Path.replace(/^\/(Properties\/)?/, '');
  return target.Name ?? target.Attribute;
}

/** The resource as a context gives it (`{"Properties": {...}}`), or undefined. */
function parseContext(text: string | undefined): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The object that holds the value at `path` (`/Properties/Environment/1/Value` -> the second Environment entry). */
function parentOf(context: unknown, path: string | undefined): unknown {
  if (typeof path !== 'string') return undefined;
  const segments = path.split('/').filter((p) => p.length > 0).slice(0, -1);
  return segments.reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), context);
}

/** A name/value pair whose name marks it as a secret: `{"Name": "DB_PASSWORD", "Value": ...}`. */
function namedSecret(holder: unknown): boolean {
  if (holder === null || typeof holder !== 'object') return false;
  const { Name, Key, name, key } = holder as Record<string, unknown>;
  return [Name, Key, name, key].some((n) => typeof n === 'string' && isSecretName(n));
}

/** Credentials written inside text: `scheme://user:password@host`, `Password=...;`, `Bearer <token>`. */
function maskCredentials(value: string): string {
  return value
    .replace(/(\/\/[^\s:/@]+:)[^\s@/]+@/g, `$1${MASKED}@`)
    .replace(/((?:password|pwd)\s*=\s*)[^;"\s]*/gi, `$1${MASKED}`)
    .replace(/(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${MASKED}`);
}

/** A JSON value with the values of its secret-named keys (and named pairs) masked; any other text as it is. */
function maskInside(value: string): string {
  if (!/^\s*[[{]/.test(value)) return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // Cut by CloudFormation (large values are truncated): what it holds cannot be told apart, so if it names a
    // secret anywhere, none of it is shown.
    return isSecretName(value) ? MASKED : value;
  }
  const mask = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(mask);
    if (v !== null && typeof v === 'object') {
      const pairSecret = namedSecret(v);
      return Object.fromEntries(Object.entries(v).map(([k, inner]) =>
        [k, isSecretName(k) || (pairSecret && /^value$/i.test(k)) ? MASKED : mask(inner)]));
    }
    return v;
  };
  return JSON.stringify(mask(parsed));
}

function flattenAndShorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 3))}...`;
}
