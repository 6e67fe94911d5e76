#!/usr/bin/env node
/**
 * cdk-sfn-deploy: the package's command line.
 *
 *   cdk-sfn-deploy check [--policy FILE] CHANGE_SET_JSON...
 *
 * Evaluates the output of `aws cloudformation describe-change-set` (one file per page) with a safety
 * policy, exactly as the deploy workflow does, prints a verdict per change and exits 0 (allowed),
 * 1 (denied) or 2 (needs approval); 64 on a usage error.
 */
import * as fs from 'fs';
import { checkChangeSet, exitCodeOf, formatReport, policyFromJson } from '../policy/check';

const USAGE = `usage:
  cdk-sfn-deploy check [--policy FILE] CHANGE_SET_JSON...

  CHANGE_SET_JSON  output of 'aws cloudformation describe-change-set', one file per page
  --policy FILE    a policy document ({"type": "rules", ...}) or the action's UserParameters JSON;
                   default: SafetyPolicy.denyDestructiveChanges()
exit: 0 allowed, 1 denied, 2 needs approval, 64 usage error`;

export function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): number {
  const [command, ...rest] = argv;
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
  process.exitCode = main(process.argv.slice(2));
}
