#!/usr/bin/env node
/**
 * cdk-sfn-deploy: the package's command line.
 *
 *   cdk-sfn-deploy check [--policy FILE | --assembly DIR --action NAME] CHANGE_SET_JSON...
 *   cdk-sfn-deploy approve --task-token TOKEN [--comment TEXT] [--by NAME]
 *   cdk-sfn-deploy reject --task-token TOKEN [--comment TEXT] [--by NAME]
 *
 * `check` evaluates the output of `aws cloudformation describe-change-set` (one file per page, nested stacks'
 * change sets too) with a safety policy, exactly as the deploy workflow does (see ./check.ts).
 * `approve` and `reject` answer a deployment that waits for a person (UnsafeChangeAction.requireApproval()),
 * with your AWS credentials (states:SendTaskSuccess / SendTaskFailure on the deploy state machine).
 */
import { parseArgs } from 'util';
import { CHECK_EXIT, runCheck } from './check';
import { pictureCommand } from './picture';

const USAGE = `usage:
  cdk-sfn-deploy check [--policy FILE | --assembly DIR --action NAME] CHANGE_SET_JSON...
  cdk-sfn-deploy approve --task-token TOKEN [--comment TEXT] [--by NAME]
  cdk-sfn-deploy reject --task-token TOKEN [--comment TEXT] [--by NAME]
  cdk-sfn-deploy picture --definition FILE [--history FILE ...] [--title TEXT] [-o OUT.svg]  (picture --help)

  CHANGE_SET_JSON  the whole output of 'aws cloudformation describe-change-set' (it fetches every page and
                   prints them as one); pages fetched one by one: one file each, every page after the first
                   with "RequestNextToken": the NextToken it was requested with; with nested stacks, also
                   the output for each nested change set (--change-set-name ARN)
  --policy FILE    a policy document ({"type": "rules", ...}) or an action's UserParameters JSON;
                   default: SafetyPolicy.denyDestructiveChanges()
  --assembly DIR --action NAME
                   the policy of a synthesized StepFunctionsDeployAction: DIR is the cloud assembly
                   (cdk.out), NAME the action's name (or Stage/Action)
  approve/reject   answer a deployment waiting for approval (the token is in the approval message);
                   needs @aws-sdk/client-sfn and AWS credentials allowed states:SendTaskSuccess/Failure
exit (check): 0 allowed, 1 denied, 2 needs approval, 3 incomplete change set (cannot judge),
              4 bad input (a file unreadable or not what it should be), 64 usage error
exit (approve/reject): 0 answered, 1 the answer failed, 64 usage error`;

/** Sends the decision; the SFN client comes from @aws-sdk/client-sfn, loaded only for these commands. */
export interface DecisionSender {
  approve(token: string, output: string): Promise<void>;
  reject(token: string, cause: string): Promise<void>;
}

function sdkSender(): DecisionSender {
  let sdk: any;
  try {
    // Optional at run time: only approve and reject need it, and the user installs it (see the message below).
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    sdk = require('@aws-sdk/client-sfn');
  } catch {
    throw new Error('approve and reject need @aws-sdk/client-sfn: npm install @aws-sdk/client-sfn ' +
      '(or use aws stepfunctions send-task-success / send-task-failure, as the approval message shows)');
  }
  const client = new sdk.SFNClient({});
  return {
    approve: async (taskToken, output) => { await client.send(new sdk.SendTaskSuccessCommand({ taskToken, output })); },
    reject: async (taskToken, cause) => {
      await client.send(new sdk.SendTaskFailureCommand({ taskToken, error: 'ApprovalRejected', cause }));
    },
  };
}

async function decide(
  command: 'approve' | 'reject', args: string[], out: (s: string) => void, err: (s: string) => void,
  sender: () => DecisionSender,
): Promise<number> {
  const parsed = parse(args, { 'task-token': { type: 'string' }, 'comment': { type: 'string' }, 'by': { type: 'string' } }, false);
  if (typeof parsed === 'string') {
    err(`${command}: ${parsed}\n${USAGE}`);
    return 64;
  }
  const options = parsed.values as Record<string, string | undefined>;
  const token = options['task-token'];
  if (!token) {
    err(`${command}: --task-token is required (it is in the approval message)\n${USAGE}`);
    return 64;
  }
  const by = options.by ?? process.env.USER ?? 'cdk-sfn-deploy';
  const comment = options.comment;
  try {
    if (command === 'approve') {
      await sender().approve(token, JSON.stringify({ approved: true, by, ...(comment ? { comment } : {}) }));
      out('Approved: the change set will be executed.');
    } else {
      await sender().reject(token, `Rejected by ${by}${comment ? `: ${comment}` : ''}`);
      out('Rejected: the change set will be deleted and the deployment fails.');
    }
    return 0;
  } catch (e) {
    const error = e as Error;
    err(`cdk-sfn-deploy ${command}: ${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}`);
    return 1;
  }
}

export async function main(
  argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error,
  sender: () => DecisionSender = sdkSender,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'picture') return pictureCommand(rest, out, err);
  if (command === 'approve' || command === 'reject') return decide(command, rest, out, err, sender);
  if (command === '--help' || command === '-h' || command === 'help') {
    out(USAGE);
    return 0;
  }
  if (command !== 'check') {
    err(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
    return CHECK_EXIT.usage;
  }
  const parsed = parse(rest, { policy: { type: 'string' }, assembly: { type: 'string' }, action: { type: 'string' } }, true);
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
function parse(args: string[], options: Options, allowPositionals: boolean): ReturnType<typeof parseArgs> | string {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    return (e as Error).message;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
