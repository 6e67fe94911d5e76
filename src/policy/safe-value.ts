/**
 * Whether a value is safe to show people: the one judgement behind every value of a template that reaches a
 * message, a report, a log line or the CLI. A value is not shown when
 * - its name marks it as a secret (`MasterUserPassword`, `DB_PASSWORD`, a pair named `API_TOKEN`);
 * - its property carries secrets by nature (user data, environment variable values, SSM parameter values,
 *   secret strings: `SECRET_PROPERTIES`), whatever it looks like;
 * - secretlint's recommended rules find a secret in it by its shape (AWS, GitHub, Slack, Stripe, npm, private
 *   keys, connection strings with passwords, ...);
 * - it holds a long token as random as a key (its entropy);
 * - or the judgement cannot be made (a rule fails or cannot run here): when unsure, mask.
 *
 * Only what is shown is masked: the policy judges the change set as CloudFormation describes it.
 */

/** What a masked value reads as. */
export const MASKED = '(masked)';

/**
 * Names that mark a value as a secret: password (`Password`, `DbPass`, `Pwd`, `db_pw`), secret, token, private
 * key, passphrase, credentials, API or access keys, connection strings, authorization headers.
 */
export const SECRET_NAME = /pass(w|$|[^a-z])|pwd|(^|[^a-z])pw($|[^a-z])|secret|token|private.?key|passphrase|credential|api.?key|access.?key|connection.?string|authorization/i;

/**
 * Properties that carry secrets by nature: their values are never shown, nor any value that holds them (the
 * `Environment` around `Environment/Variables`). A path is the property path without `/Properties/`, `*` one
 * segment (a list index, a variable's name), `**` any number of segments; `*` as the type: every type.
 */
export const SECRET_PROPERTIES: ReadonlyArray<{ readonly resourceType: string; readonly path: string }> = [
  // User data: scripts that set up instances, often with the credentials they need.
  { resourceType: '*', path: '**/UserData' },
  // Environment variables: values of every kind, secrets among them.
  { resourceType: 'AWS::Lambda::Function', path: 'Environment/Variables/*' },
  { resourceType: 'AWS::Serverless::Function', path: 'Environment/Variables/*' },
  { resourceType: 'AWS::ECS::TaskDefinition', path: 'ContainerDefinitions/*/Environment/*/Value' },
  { resourceType: 'AWS::CodeBuild::Project', path: 'Environment/EnvironmentVariables/*/Value' },
  { resourceType: 'AWS::Batch::JobDefinition', path: '**/Environment/*/Value' },
  { resourceType: 'AWS::AppRunner::Service', path: '**/RuntimeEnvironmentVariables/*/Value' },
  { resourceType: 'AWS::AppRunner::Service', path: '**/RuntimeEnvironmentSecrets/*/Value' },
  { resourceType: 'AWS::Amplify::App', path: '**/EnvironmentVariables/*/Value' },
  { resourceType: 'AWS::Amplify::Branch', path: 'EnvironmentVariables/*/Value' },
  { resourceType: 'AWS::ElasticBeanstalk::Environment', path: 'OptionSettings/*/Value' },
  { resourceType: 'AWS::ElasticBeanstalk::ConfigurationTemplate', path: 'OptionSettings/*/Value' },
  { resourceType: 'AWS::SageMaker::Model', path: '**/Environment/*' },
  { resourceType: 'AWS::EMR::Cluster', path: '**/Configurations/**/ConfigurationProperties/*' },
  { resourceType: 'AWS::Glue::Job', path: 'DefaultArguments/*' },
  { resourceType: 'AWS::Glue::Connection', path: 'ConnectionInput/ConnectionProperties/*' },
  { resourceType: 'AWS::StepFunctions::StateMachine', path: 'DefinitionSubstitutions/*' },
  { resourceType: 'AWS::MWAA::Environment', path: 'AirflowConfigurationOptions/*' },
  { resourceType: 'AWS::Lambda::LayerVersion', path: 'Content/ZipFile' },
  { resourceType: 'AWS::Lambda::Function', path: 'Code/ZipFile' },
  // Values stored to be read back by programs: parameters and secrets.
  { resourceType: 'AWS::SSM::Parameter', path: 'Value' },
  { resourceType: 'AWS::SecretsManager::Secret', path: 'SecretString' },
  { resourceType: 'AWS::SecretsManager::Secret', path: 'GenerateSecretString/SecretStringTemplate' },
  { resourceType: 'AWS::AppConfig::HostedConfigurationVersion', path: 'Content' },
  { resourceType: 'AWS::IoT::Certificate', path: '**' },
  { resourceType: 'AWS::IAM::AccessKey', path: '**' },
  { resourceType: 'AWS::CertificateManager::Certificate', path: '**/PrivateKey' },
  // Custom resources pass what they like to their handler.
  { resourceType: 'AWS::CloudFormation::CustomResource', path: '**' },
  { resourceType: 'Custom::*', path: '**' },
  // Connection and sign-in details of endpoints and data stores.
  { resourceType: 'AWS::DMS::Endpoint', path: '**' },
  { resourceType: 'AWS::Events::Connection', path: 'AuthParameters/**' },
  { resourceType: 'AWS::CodePipeline::Webhook', path: 'AuthenticationConfiguration/**' },
  { resourceType: 'AWS::CodeBuild::SourceCredential', path: '**' },
];

/** Where a value sits: what makes its name or its property mark it as a secret. */
export interface ValuePlace {
  /** The resource type (`AWS::Lambda::Function`). */
  readonly resourceType?: string;
  /** The property path without `/Properties/` (`Environment/Variables/STRIPE_KEY`). */
  readonly path?: string;
  /** True when a name around the value marks it as a secret (`{"Name": "DB_PASSWORD", "Value": ...}`). */
  readonly namedSecret?: boolean;
}

/** The one judgement: may this value, at this place, be shown to people? */
export function isSafeToShow(value: string, place: ValuePlace = {}): boolean {
  if (place.namedSecret) return false;
  if (place.path !== undefined && (SECRET_NAME.test(place.path) || secretByNature(place.resourceType, place.path, value))) return false;
  return secretRanges(value).length === 0;
}

/** A value as people may see it: itself on one line without control characters, or MASKED. */
export function shownValue(value: string, place: ValuePlace = {}): string {
  return isSafeToShow(value, place) ? printable(value) : MASKED;
}

/**
 * Free text that may quote values (an error's cause, a policy function's reason, CloudFormation's status
 * reason): the parts judged secret by their shape or their entropy are masked, the rest is kept.
 */
export function maskSecrets(text: string): string {
  const ranges = secretRanges(text);
  let out = '';
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    out += text.slice(at, Math.max(at, start)) + MASKED;
    at = end;
  }
  return printable(out + text.slice(at));
}

/**
 * Whether a property path is one of SECRET_PROPERTIES, or holds one: `Environment` holds
 * `Environment/Variables/*`; a value that names the property (`{"UserData": ...}` as `LaunchTemplateData`)
 * holds a property found at any depth (`**\/UserData`).
 */
export function secretByNature(resourceType: string | undefined, path: string, value?: string): boolean {
  const segments = path.split('/').filter((s) => s.length > 0);
  return SECRET_PROPERTIES.some((p) => {
    if (!typeMatches(p.resourceType, resourceType)) return false;
    const pattern = p.path.split('/');
    if (sameBranch(pattern, segments)) return true;
    const name = pattern.find((s) => s !== '*' && s !== '**');
    return pattern[0] === '**' && name !== undefined && typeof value === 'string' && value.includes(`"${name}"`);
  });
}

/** An unknown type is every type: a rule for some type applies (fail closed). */
function typeMatches(pattern: string, type: string | undefined): boolean {
  if (pattern === '*' || type === undefined) return true;
  return pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

/**
 * True when the path is the pattern's, inside it, or around it: a path that ends where the pattern goes on
 * with a name or `*` (`Environment` for `Environment/Variables/*`).
 */
function sameBranch(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length === 0) return true;
  const [head, ...rest] = pattern;
  if (path.length === 0) return head !== '**';
  if (head === '**') return sameBranch(rest, path) || sameBranch(pattern, path.slice(1));
  if (head !== '*' && head !== path[0]) return false;
  return sameBranch(rest, path.slice(1));
}

/** Removes what a terminal, a console or a chat would read as more than text: control and bidirectional characters. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** The parts of a text judged secret, [start, end) in order: secretlint's findings and high-entropy tokens. */
export function secretRanges(text: string): Array<[number, number]> {
  if (text.length === 0) return [];
  const found = [...detectorRanges(text), ...entropyRanges(text)];
  return found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
}

// ---------------------------------------------------------------------------------------------------------------
// By shape: secretlint's recommended rules.

/** The parts of secretlint's rule API used here (`@secretlint/types`' SecretLintRuleCreator, context and source). */
interface RuleCreator {
  readonly meta: { readonly id: string };
  create(context: RuleContext, options: Record<string, unknown>): { file?(source: RuleSource): unknown };
}
interface RuleContext {
  createTranslator(messages: unknown): (id: string, data?: unknown) => string;
  report(descriptor: { range: readonly [number, number] }): void;
  ignore(descriptor: unknown): void;
}
interface RuleSource {
  readonly content: string;
  readonly filePath?: string;
  readonly ext: string;
  readonly contentType: 'text';
}

/** The rule that reads `secretlint-disable` comments is left out: text in a template must not turn detection off. */
const LEFT_OUT_RULES = new Set(['@secretlint/secretlint-rule-filter-comments']);

/** Options per rule: AWS access key ids are secrets here too. */
const RULE_OPTIONS: Record<string, Record<string, unknown>> = {
  '@secretlint/secretlint-rule-aws': { enableIDScanRule: true },
};

/**
 * The text as the rules see a file: as plain text, as an `.npmrc` (npm's auth tokens) and as a `.json` file (a
 * GCP service account key), since some rules look for some shapes only in such files; the last two only for
 * a text with the words those shapes hold.
 */
const VIEWS: ReadonlyArray<{ filePath?: string; ext: string; when?: RegExp }> = [
  { ext: '' },
  { filePath: 'value.npmrc', ext: '.npmrc', when: /_auth/ },
  { filePath: 'value.json', ext: '.json', when: /private_key/ },
];

/** Where the rules report while a text is scanned (rules run one text at a time, synchronously). */
let findings: Array<[number, number]> = [];

const CONTEXT: RuleContext = {
  createTranslator: () => (id) => id,
  report: ({ range }) => { findings.push([range[0], range[1]]); },
  ignore: () => undefined,
};

let loaded: ReadonlyArray<{ file?(source: RuleSource): unknown }> | Error | undefined;

/**
 * The recommended rules' scanners, made once. The package is an ES module: the Lambda bundles hold it, the CLI
 * and the library load it with `require` (Node.js 20.19 and 22.12 on). Where it cannot be loaded, the error
 * stands for it and every value is masked.
 */
function scanners(): ReadonlyArray<{ file?(source: RuleSource): unknown }> | Error {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const preset = require('@secretlint/secretlint-rule-preset-recommend') as { rules?: RuleCreator[] };
      if (!Array.isArray(preset.rules) || preset.rules.length === 0) throw new Error('the secretlint preset has no rules');
      loaded = preset.rules.filter((r) => !LEFT_OUT_RULES.has(r.meta?.id)).map((r) => r.create(CONTEXT, RULE_OPTIONS[r.meta.id] ?? {}));
    } catch (e) {
      loaded = e instanceof Error ? e : new Error(String(e));
    }
  }
  return loaded;
}

/** What secretlint finds: the ranges its rules report, or the whole text when a rule cannot judge it here. */
function detectorRanges(text: string): Array<[number, number]> {
  const all = scanners();
  const whole: Array<[number, number]> = [[0, text.length]];
  if (all instanceof Error) return whole;
  findings = [];
  try {
    for (const scanner of all) {
      for (const { when, ...view } of VIEWS) {
        if (when && !when.test(text)) continue;
        const result = scanner.file?.({ content: text, contentType: 'text', ...view });
        // A rule that answers later cannot judge here, where the answer is needed now: fail closed.
        if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).catch(() => undefined);
          return whole;
        }
      }
    }
  } catch {
    return whole;
  }
  return findings.map((range) => widened(text, range));
}

/**
 * A finding widened to the whole word around it: some rules report the start of what they matched with the
 * length of the secret inside it (`aws_secret_access_key=...`), which would leave the secret's end.
 */
function widened(text: string, [start, end]: [number, number]): [number, number] {
  const edge = /[\s"'`<>,;]/;
  let s = Math.max(0, Math.min(start, text.length));
  let e = Math.max(s, Math.min(end, text.length));
  while (s > 0 && !edge.test(text[s - 1])) s--;
  while (e < text.length && !edge.test(text[e])) e++;
  return [s, e];
}

// ---------------------------------------------------------------------------------------------------------------
// By entropy: a long token as random as a key.

/** Tokens: runs of the characters of base64 and of key alphabets. */
const TOKEN = /[A-Za-z0-9+/=_]{20,}/g;
/** Public shapes made of hex digits: a CDK asset's content hash as a file name or an image tag, an image digest. */
const PUBLIC_DIGEST = /(?:^|[/:.])[0-9a-f]{64}(?=\.(?:zip|json|jar|tar\.gz|tgz)\b)|(?:assets-[^\s"]*:|sha256:)[0-9a-f]{64}\b/g;

/** The tokens of a text whose characters are as random as a key's. */
function entropyRanges(text: string): Array<[number, number]> {
  const digests = [...text.matchAll(PUBLIC_DIGEST)].map((m) => [m.index!, m.index! + m[0].length]);
  const ranges: Array<[number, number]> = [];
  for (const match of text.matchAll(TOKEN)) {
    const start = match.index!;
    const end = start + match[0].length;
    if (digests.some(([s, e]) => s <= start && end <= e)) continue;
    if (looksRandom(match[0])) {
      ranges.push([start, end]);
      continue;
    }
    // A path's segments are read one by one too: `role/MyApplicationRole` is two words, not a token.
    let at = start;
    for (const part of match[0].split(/(?<=[a-z])\/(?=[A-Za-z])/)) {
      if (looksRandom(part)) ranges.push([at, at + part.length]);
      at += part.length + 1;
    }
  }
  return ranges;
}

/**
 * Whether a token is as random as a key: 20 characters or more, letters and digits, and a Shannon entropy
 * close to that of random characters of its length (random letters and digits miss this rarely: 3% at 20
 * characters, under 1% from 32); hex keys from 32 digits. Names made of words (`MyFunctionServiceRole3C357FF2`,
 * `OrdersQueueDeadLetter`) are not.
 */
function looksRandom(token: string): boolean {
  if (token.length < 20 || !/[0-9]/.test(token) || !/[A-Za-z]/.test(token)) return false;
  if (/^[0-9a-f]+$/i.test(token)) return token.length >= 32;
  const words = (token.match(/[A-Z]?[a-z]{3,}/g) ?? []).join('').length;
  if (words / token.length >= 0.5) return false;
  return entropy(token) >= Math.min(4.5, Math.log2(token.length) - 0.85);
}

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
