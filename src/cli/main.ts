#!/usr/bin/env node
/**
 * cdk-sfn-deploy: the package's command line.
 *
 *   cdk-sfn-deploy check [--policy FILE] CHANGE_SET_JSON...
 *   cdk-sfn-deploy approve --task-token TOKEN [--comment TEXT] [--by NAME]
 *   cdk-sfn-deploy reject --task-token TOKEN [--comment TEXT] [--by NAME]
 *
 * `check` evaluates the output of `aws cloudformation describe-change-set` (one file per page) with a
 * safety policy, exactly as the deploy workflow does, prints a verdict per change and exits 0 (allowed),
 * 1 (denied) or 2 (needs approval); 64 on a usage error.
 * `approve` and `reject` answer a deployment that waits for a person (UnsafeChangeAction.requireApproval()),
 * with your AWS credentials (states:SendTaskSuccess / SendTaskFailure on the deploy state machine).
 */
import * as fs from 'fs';
import { pictureCommand } from './picture';
import { checkChangeSet, exitCodeOf, formatReport, policyFromJson } from '../policy/check';

const USAGE = `usage:
  cdk-sfn-deploy check [--policy FILE] CHANGE_SET_JSON...
  cdk-sfn-deploy approve --task-token TOKEN [--comment TEXT] [--by NAME]
  cdk-sfn-deploy reject --task-token TOKEN [--comment TEXT] [--by NAME]
  cdk-sfn-deploy picture --definition FILE [--history FILE ...] [--title TEXT] [-o OUT.svg]  (picture --help)

  CHANGE_SET_JSON  output of 'aws cloudformation describe-change-set', one file per page
  --policy FILE    a policy document ({"type": "rules", ...}) or the action's UserParameters JSON;
                   default: SafetyPolicy.denyDestructiveChanges()
  approve/reject   answer a deployment waiting for approval (the token is in the approval message);
                   needs @aws-sdk/client-sfn and AWS credentials allowed states:SendTaskSuccess/Failure
exit: 0 allowed (check) or answered (approve/reject), 1 denied or the answer failed, 2 needs approval, 64 usage error`;

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
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const key = args[i];
    if (!['--task-token', '--comment', '--by'].includes(key) || args[i + 1] === undefined) {
      err(`${command}: unexpected ${JSON.stringify(key)}\n${USAGE}`);
      return 64;
    }
    options[key] = args[++i];
  }
  const token = options['--task-token'];
  if (!token) {
    err(`${command}: --task-token is required (it is in the approval message)\n${USAGE}`);
    return 64;
  }
  const by = options['--by'] ?? process.env.USER ?? 'cdk-sfn-deploy';
  const comment = options['--comment'];
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
    return 64;
  }
  let policyFile: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--policy') {
      policyFile = rest[++i];
      if (!policyFile) {
        err('--policy needs a file');
        return 64;
      }
    } else if (rest[i].startsWith('-')) {
      err(`unknown option ${rest[i]}\n${USAGE}`);
      return 64;
    } else {
      files.push(rest[i]);
    }
  }
  if (files.length === 0) {
    err(`give at least one change set file\n${USAGE}`);
    return 64;
  }
  try {
    const policy = policyFromJson(policyFile ? readJson(policyFile) : { type: 'denyDestructive' });
    const result = checkChangeSet(policy, files.map(readJson));
    out(formatReport(result));
    return exitCodeOf(result);
  } catch (e) {
    err(`cdk-sfn-deploy: ${(e as Error).message}`);
    return 64;
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
