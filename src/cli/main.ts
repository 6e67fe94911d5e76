#!/usr/bin/env node
/**
 * cdk-sfn-deploy: the package's command line.
 *
 *   cdk-sfn-deploy check [--policy FILE | --assembly DIR --action NAME] CHANGE_SET_JSON...
 *   cdk-sfn-deploy approve --url URL --execution ARN --digest HEX [--comment TEXT]
 *   cdk-sfn-deploy reject --url URL --execution ARN --digest HEX [--comment TEXT]
 *
 * `check` evaluates the output of `aws cloudformation describe-change-set` (one file per page, nested stacks'
 * change sets too) with a safety policy, exactly as the deploy workflow does (see ./check.ts).
 * `approve` and `reject` answer a deployment that waits for a person (UnsafeChangeAction.requireApproval()): they
 * send the decision to the deploy workflow's approval function URL, signed (SigV4) with your AWS credentials
 * (lambda:InvokeFunctionUrl, which the action's grantApproval gives). The function answers only approvers of the
 * action the execution deploys for, and records you by your ARN as AWS authenticated you. `--digest` (the message's
 * "Approve digest") names what you decide on: the function decides nothing when the execution waits on another change
 * set or round than the one your message showed. Rejecting needs it too: a late rejection must not fail a round (and be
 * recorded as your decision on it) that you never saw.
 */
import { createHash, createHmac } from 'crypto';
import * as https from 'https';
import { parseArgs } from 'util';
import { CHECK_EXIT, runCheck } from './check';
import { pictureCommand } from './picture';

const USAGE = `usage:
  cdk-sfn-deploy check [--policy FILE | --assembly DIR --action NAME] CHANGE_SET_JSON...
  cdk-sfn-deploy approve --url URL --execution ARN --digest HEX [--comment TEXT]
  cdk-sfn-deploy reject --url URL --execution ARN --digest HEX [--comment TEXT]
  cdk-sfn-deploy picture --definition FILE [--history FILE ...] [--title TEXT] [-o OUT.svg]  (picture --help)

  CHANGE_SET_JSON  the whole output of 'aws cloudformation describe-change-set' (it fetches every page and
                   prints them as one); pages fetched one by one: one file each, every page after the first
                   with "RequestNextToken": the NextToken it was requested with; with nested stacks, also
                   the output for each nested change set (--change-set-name ARN)
  --policy FILE    a policy document ({"type": "rules", ...}) or an action's UserParameters JSON;
                   default: SafetyPolicy.denyDestructiveChanges()
  --assembly DIR --action NAME
                   the policy of a synthesized StepFunctionsDeployAction (one stack or several) or
                   ChangeSetReviewStep: DIR is the cloud assembly (cdk.out), NAME the action's name
                   (or Stage/Action; a step's id)
  approve/reject   answer a deployment waiting for approval: --url, --execution and --digest (its
                   "Approve digest") are in the approval message; nothing is decided if the execution
                   waits on another change set or round by then; signed with your AWS credentials (allowed lambda:InvokeFunctionUrl by the
                   action's grantApproval); needs @aws-sdk/credential-providers and @smithy/signature-v4
                   (npm install @aws-sdk/credential-providers @smithy/signature-v4)
exit (check): 0 allowed, 1 denied, 2 needs approval, 3 incomplete change set (cannot judge),
              4 bad input (a file unreadable or not what it should be), 64 usage error
exit (approve/reject): 0 answered, 1 the answer failed, 64 usage error`;

/** Sends a decision to the approval function's URL and returns its answer. */
export type DecisionSender = (url: string, body: string) => Promise<{ status: number; body: string }>;

/** The region of a Lambda function URL (`https://<id>.lambda-url.<region>.on.aws/`), or undefined. */
export function functionUrlRegion(url: string): string | undefined {
  try {
    const { protocol, hostname } = new URL(url);
    return protocol === 'https:' ? /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(hostname)?.[1] : undefined;
  } catch {
    return undefined;
  }
}

/** SHA-256 (and HMAC-SHA-256 with a secret) in the shape the SigV4 signer takes, from Node's crypto. */
class NodeSha256 {
  private readonly hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  public update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  public async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/** The request's headers signed with SigV4 for the function URL (service lambda, the URL's region). */
export async function signedHeaders(
  url: string, body: string, credentials: unknown, signatureV4: { SignatureV4: new (options: any) => any },
): Promise<Record<string, string>> {
  const { hostname, pathname } = new URL(url);
  const signer = new signatureV4.SignatureV4({ credentials, region: functionUrlRegion(url), service: 'lambda', sha256: NodeSha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'https:',
    hostname,
    path: pathname,
    query: {},
    headers: { 'host': hostname, 'content-type': 'application/json' },
    body,
  });
  return signed.headers;
}

function sdkSender(): DecisionSender {
  let signatureV4: any;
  let providers: any;
  try {
    // Optional at run time: only approve and reject need them (not bundled: they are the user's install).
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    signatureV4 = require('@smithy/signature-v4');
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    providers = require('@aws-sdk/credential-providers');
  } catch {
    throw new Error('approve and reject need @aws-sdk/credential-providers and @smithy/signature-v4: ' +
      'npm install @aws-sdk/credential-providers @smithy/signature-v4 (or POST the decision to the URL signed with SigV4, ' +
      'as the approval message shows)');
  }
  return async (url, body) => {
    const headers = await signedHeaders(url, body, providers.fromNodeProviderChain(), signatureV4);
    return new Promise((resolve, reject) => {
      const request = https.request(url, { method: 'POST', headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });
  };
}

/** `approve` and `reject`: the decision read from the command line, sent signed to the approval function, and its answer printed. */
async function decisionCommand(
  command: 'approve' | 'reject', args: string[], out: (s: string) => void, err: (s: string) => void,
  sender: () => DecisionSender,
): Promise<number> {
  const decision = decisionRequest(command, args, err);
  if (typeof decision === 'number') return decision;
  const { url, execution, digest, comment } = decision;
  try {
    const body = JSON.stringify({ executionArn: execution, decision: command, digest, ...(comment ? { comment } : {}) });
    const answer = await sender()(url, body);
    let result: { message?: string; by?: string } = {};
    try {
      result = JSON.parse(answer.body);
    } catch {
      result = { message: answer.body };
    }
    if (answer.status !== 200) {
      err(`cdk-sfn-deploy ${command}: refused (HTTP ${answer.status}): ${result.message ?? 'no reason given'}`);
      return 1;
    }
    out(`${result.message ?? (command === 'approve' ? 'Approved.' : 'Rejected.')}${result.by ? ` Recorded as ${result.by}.` : ''}`);
    return 0;
  } catch (e) {
    const error = e as Error;
    err(`cdk-sfn-deploy ${command}: ${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}`);
    return 1;
  }
}

/** A decision to send, as the approval message names it. */
interface DecisionRequest {
  readonly url: string;
  readonly execution: string;
  readonly digest: string;
  readonly comment?: string;
}

/** The approve or reject command line read: the decision to send, or the usage error's exit code. */
function decisionRequest(command: 'approve' | 'reject', args: string[], err: (s: string) => void): DecisionRequest | number {
  const parsed = parseCommandLine(args, {
    'url': { type: 'string' },
    'execution': { type: 'string' },
    'digest': { type: 'string' },
    'comment': { type: 'string' },
    // Gone: named here only to say what replaced them.
    'task-token': { type: 'string' },
    'by': { type: 'string' },
  }, false);
  if (typeof parsed === 'string') {
    err(`${command}: ${parsed}\n${USAGE}`);
    return 64;
  }
  const options = parsed.values as Record<string, string | undefined>;
  if (options['task-token'] !== undefined) {
    err(`${command}: --task-token is gone: approvers no longer answer with a task token; give --url and --execution ` +
      `from the approval message\n${USAGE}`);
    return 64;
  }
  const { url, execution, digest, comment } = options;
  if (!url || !execution || !digest) {
    err(`${command}: --url, --execution and --digest are required (all are in the approval message; --digest is its ` +
      `"Approve digest", what you decide on)\n${USAGE}`);
    return 64;
  }
  if (!/^[0-9a-f]{12,64}$/i.test(digest)) {
    err(`${command}: --digest ${digest} is not a digest: give the 12 hex characters of the message's "Approve digest"\n${USAGE}`);
    return 64;
  }
  if (!functionUrlRegion(url)) {
    err(`${command}: --url ${url} is not a Lambda function URL (https://<id>.lambda-url.<region>.on.aws/): copy it from the approval message\n${USAGE}`);
    return 64;
  }
  if (options.by !== undefined) err(`${command}: --by is ignored: the approval records you by your AWS identity, as AWS authenticates your signed request`);
  return { url, execution, digest, comment };
}

export async function main(
  argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error,
  sender: () => DecisionSender = sdkSender,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'picture') return pictureCommand(rest, out, err);
  if (command === 'approve' || command === 'reject') return decisionCommand(command, rest, out, err, sender);
  if (command === '--help' || command === '-h' || command === 'help') {
    out(USAGE);
    return 0;
  }
  if (command !== 'check') {
    err(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
    return CHECK_EXIT.usage;
  }
  const parsed = parseCommandLine(rest, { policy: { type: 'string' }, assembly: { type: 'string' }, action: { type: 'string' } }, true);
  if (typeof parsed === 'string') {
    err(`check: ${parsed}\n${USAGE}`);
    return CHECK_EXIT.usage;
  }
  const files = parsed.positionals;
  const { policy: policyFile, assembly, action } = parsed.values as Record<string, string | undefined>;
  const options = { policyFile, assembly, action };
  const problem = files.length === 0 ? 'give at least one change set file'
    : options.policyFile !== undefined && options.assembly !== undefined ? 'give --policy or --assembly, not both'
      : (options.assembly === undefined) !== (options.action === undefined) ? 'give --assembly and --action together' : undefined;
  if (problem) {
    err(`${problem}\n${USAGE}`);
    return CHECK_EXIT.usage;
  }
  return runCheck({ ...options, files }, out, err);
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** Node's own argument parser, strict: an unknown option or a missing value is a usage error (its message). */
function parseCommandLine(args: string[], options: Options, allowPositionals: boolean): ReturnType<typeof parseArgs> | string {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    return (e as Error).message;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
