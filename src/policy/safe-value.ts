/**
 * Whether a value is safe to show people: the one judgement behind every value of a template that reaches a
 * message, a report, a log line or the CLI. A value is not shown when
 * - its name marks it as a secret (`MasterUserPassword`, `DB_PASSWORD`, a pair named `API_TOKEN`), or it names
 *   its own secret inside it (`{"password": "..."}`, `--db-password=...`, `db password: ...`, `mysql -p...`);
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
 * Names that mark a value as a secret: password (`Password`, `DbPass`, `Pwd`, `db_pw`, `passwd`), secret, token,
 * private key, passphrase, credentials (`creds`), API or access keys, connection strings, authorization headers.
 * Read names with isSecretName, which also reads camelCase words (`AdminPw`, `DbCreds`).
 */
export const SECRET_NAME = /pass(w|$|[^a-z])|pwd|(^|[^a-z])(pw|creds?)($|[^a-z])|secret|token|private.?key|passphrase|credential|api.?key|access.?key|connection.?string|authorization/i;

/**
 * Names of rules about passwords, not of passwords: a password policy (Cognito's `Policies/PasswordPolicy`) is
 * shown, so that people see it weakened; what it holds is judged by its own names.
 */
const POLICY_NAME = /pass(word|wd)?[-_ ]?polic(y|ies)/gi;

/** The short names that are words of their own, in camelCase too (`AdminPw`, `DbCreds`; not `Pwr`, `Credit`). */
const SHORT_SECRET_WORD = /(^|[^a-z])(pw|creds?)($|[^a-z])/i;

/**
 * Whether a name (a property path, a key, a variable, a flag) marks its value as a secret: SECRET_NAME, and its
 * short words read with camelCase words apart (`AdminPw` as `Admin_Pw`); password policies left out.
 */
export function isSecretName(name: string): boolean {
  const named = name.replace(POLICY_NAME, ' ');
  return SECRET_NAME.test(named) || SHORT_SECRET_WORD.test(named.replace(/([a-z0-9])(?=[A-Z])|([A-Z])(?=[A-Z][a-z])/g, '$1$2_'));
}

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
  // Payloads given verbatim to a target: arbitrary JSON or text made to pass what the target needs, credentials
  // among it, with nothing in the property to tell which. (A state machine's Definition and DefinitionString are
  // not here: they are the workflow under review; their literals are scanned for named secrets, shapes and
  // entropy, and values meant to be kept out of them go in DefinitionSubstitutions, above.)
  { resourceType: 'AWS::Events::Rule', path: 'Targets/*/Input' },
  { resourceType: 'AWS::Events::Rule', path: 'Targets/*/InputTransformer/InputTemplate' },
  { resourceType: 'AWS::Scheduler::Schedule', path: 'Target/Input' },
  { resourceType: 'AWS::Pipes::Pipe', path: 'TargetParameters/InputTemplate' },
  // Commands and scripts run on instances, like user data: they carry the credentials they use.
  { resourceType: 'AWS::SSM::Document', path: 'Content' },
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
  if (place.path !== undefined && (isSecretName(place.path) || secretByNature(place.resourceType, place.path, value))) return false;
  return secretRanges(value).length === 0;
}

/** A value as people may see it: itself on one line without control characters, or MASKED. */
export function shownValue(value: string, place: ValuePlace = {}): string {
  return isSafeToShow(value, place) ? printable(value) : MASKED;
}

/**
 * Free text that may quote values (an error's cause, a policy function's reason, CloudFormation's status
 * reason): the parts judged secret by a name written before them, their shape or their entropy are masked, the
 * rest is kept.
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

/**
 * The parts of a text judged secret, [start, end) in order: values after a secret's name, secretlint's findings
 * and high-entropy tokens.
 */
export function secretRanges(text: string): Array<[number, number]> {
  if (text.length === 0) return [];
  const found = [...namedRanges(text), ...detectorRanges(text), ...entropyRanges(text)];
  return found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
}

// ---------------------------------------------------------------------------------------------------------------
// By name, inside text: the value written after a secret's name.

/** Names in text: words of letters, digits, `_`, `.` and `-` (`db-password`, `aws_secret_access_key`). */
const NAME_IN_TEXT = /[A-Za-z_][A-Za-z0-9_.-]*/g;
/**
 * What ends a name and leads to its value: `=`, `:=` or `=>`; `:` after a quoted name (JSON's, or JSON's inside a
 * string) or before a space (`password: ...`), not inside a word (`arn:aws:secretsmanager:...`).
 */
const SEPARATOR = /(?:\\*["'][ \t]*(?:=>|:=|:|=)|[ \t]*(?:=>|:=|=)|[ \t]*:(?=\s|$))[ \t]*/y;
/** A flag's value after a space (`--db-password value`); an option's value stops at the next flag. */
const FLAG_SEPARATOR = /[ \t]+(?=[^\s-])/y;
/**
 * MySQL's and MariaDB's clients take the password written right after `-p` (`mysql -uroot -pS3cret`). (Not
 * psql's: its `-p` is the port, and its password is read from PGPASSWORD, a name.)
 */
const MYSQL_COMMAND = /(?<![\w-])(?:mysql[\w-]*|mariadb[\w-]*)(?![\w-])[^\n;|&]*/g;
const MYSQL_PASSWORD = /(?<=\s)-p(?=\S)/g;
/**
 * Values that are not the secret itself: a mask already applied or CloudFormation's (`****`), up to the end of
 * the value or the punctuation around it (`Pwd=(masked)"}`), or a dynamic reference to a secret.
 */
const NOT_A_VALUE = /^((\(masked\)|\*{3,})(["';,}\])]*$)|\{\{resolve:(ssm|ssm-secure|secretsmanager):[^{}\s]*\}\}["';,}\])]*$)/;

/**
 * The values written after a secret's name in a text, as the name check reads property names: a JSON member
 * (`"password": "..."`, `"pin": 1234`, `{\"token\":\"...\"}`), an assignment (`DB_PASSWORD=...`), a label
 * (`db password: ...`), a flag (`--db-password=...`, `--db-password ...`), and a MySQL client's `-p...`.
 */
function namedRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const match of text.matchAll(NAME_IN_TEXT)) {
    if (!isSecretName(match[0])) continue;
    const after = match.index! + match[0].length;
    const flag = /(^|[\s"'=])--?$/.test(text.slice(Math.max(0, match.index! - 3), match.index!));
    const separator = matchAt(SEPARATOR, text, after) ?? (flag ? matchAt(FLAG_SEPARATOR, text, after) : null);
    if (!separator) continue;
    const range = valueAt(text, after + separator[0].length, /^\\*["']/.test(separator[0]));
    if (range[1] > range[0] && !NOT_A_VALUE.test(text.slice(range[0], range[1]))) ranges.push(range);
  }
  for (const command of text.matchAll(MYSQL_COMMAND)) {
    for (const option of command[0].matchAll(MYSQL_PASSWORD)) ranges.push(valueAt(text, command.index! + option.index! + 2));
  }
  return ranges;
}

/** A sticky pattern's match at a place in a text, without copying the text's rest. */
function matchAt(pattern: RegExp, text: string, index: number): RegExpExecArray | null {
  pattern.lastIndex = index;
  return pattern.exec(text);
}

/** The next white space, or (in JSON) the end of a number or a literal. */
const WORD_END = /\s/g;
const JSON_WORD_END = /[\s,}\]]/g;

/**
 * The value that starts at `start`: a quoted string's content (to its closing quote, escaped or not), an object
 * or a list to its closing bracket, else a word to the next white space (a JSON member's number or literal: to
 * the next `,`, `}` or `]` too). What is not closed runs to the end of the text: a value cut short is masked whole.
 */
function valueAt(text: string, start: number, json = false): [number, number] {
  const quote = matchAt(/\\*["']/y, text, start)?.[0];
  if (quote !== undefined) {
    const from = start + quote.length;
    // A quote after an odd number of backslashes is inside the string (`"a\"b"`).
    let end = text.indexOf(quote, from);
    while (quote.length === 1 && end > 0 && escaped(text, end)) end = text.indexOf(quote, end + 1);
    return [from, end < 0 ? text.length : end];
  }
  if (text[start] === '{' || text[start] === '[') {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      if (text[i] === '{' || text[i] === '[') depth++;
      if (text[i] === '}' || text[i] === ']') depth--;
      if (depth === 0) return [start, i + 1];
    }
    return [start, text.length];
  }
  const end = matchAt(json ? JSON_WORD_END : WORD_END, text, start);
  return [start, end ? end.index : text.length];
}

/** Whether the character at `index` follows an odd number of backslashes (`\"` inside a JSON string). */
function escaped(text: string, index: number): boolean {
  let backslashes = 0;
  while (index - backslashes - 1 >= 0 && text[index - backslashes - 1] === '\\') backslashes++;
  return backslashes % 2 === 1;
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
  return findings.map((range) => widenedToEdges(text, range));
}

/**
 * A finding widened to the whole word around it: some rules report the start of what they matched with the
 * length of the secret inside it (`aws_secret_access_key=...`), which would leave the secret's end.
 */
function widenedToEdges(text: string, [start, end]: [number, number]): [number, number] {
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
