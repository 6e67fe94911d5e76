/**
 * `cdk-sfn-deploy picture`: draws a state machine, and optionally one execution of it, as an SVG picture.
 *
 *   cdk-sfn-deploy picture --definition FILE [--history FILE ...] [--title TEXT] [-o OUT.svg]
 *
 * --definition takes the definition JSON, or the output of `aws stepfunctions describe-state-machine` or
 * `describe-state-machine-for-execution`; --history takes `aws stepfunctions get-execution-history --output json`
 * (one file per page, any order). The picture goes to OUT.svg, or to standard output.
 * Exit 0 when drawn, 64 on a usage error, 4 when an input cannot be read or is not what it should be.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { InputFileError, readJsonFile } from './files';
import { InvalidInputError, nestedStates, parseExecutionHistory, readDefinition, renderPicture } from '../picture';
import type { AslDefinition, ExecutionTrace } from '../picture';

export const PICTURE_USAGE = `usage: cdk-sfn-deploy picture --definition FILE [--history FILE ...] [--title TEXT] [-o OUT.svg]

  --definition FILE  the state machine definition (JSON), or the output of
                     'aws stepfunctions describe-state-machine --output json' (or describe-state-machine-for-execution)
  --history FILE     output of 'aws stepfunctions get-execution-history --execution-arn ARN --output json';
                     repeat for each page. The states the execution entered are drawn in green, the one it failed in red
  --title TEXT       the picture's title (default: the state machine's name, and the execution's status)
  -o, --output FILE  where to write the SVG (default: standard output)
exit: 0 drawn, 4 an input cannot be read or is not what it should be, 64 usage error`;

const EXIT_OK = 0;
const EXIT_BAD_INPUT = 4;
const EXIT_USAGE = 64;

export async function pictureCommand(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const request = pictureRequest(args, out, err);
  if (typeof request === 'number') return request;
  let svg: string;
  try {
    svg = await drawPicture(request);
  } catch (e) {
    if (e instanceof InvalidInputError) {
      err(`cdk-sfn-deploy picture: ${e.message}`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
  return writePicture(svg, request.outputFile, out, err);
}

/** What the command line asks to draw. */
interface PictureRequest {
  readonly definitionFile: string;
  readonly historyFiles: string[];
  readonly title?: string;
  readonly outputFile?: string;
}

/** The command line read: what to draw, or the exit code when there is nothing to draw (help, a usage error). */
function pictureRequest(args: string[], out: (s: string) => void, err: (s: string) => void): PictureRequest | number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        definition: { type: 'string', multiple: true },
        history: { type: 'string', multiple: true },
        title: { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`picture: ${(e as Error).message}\n${PICTURE_USAGE}`);
    return EXIT_USAGE;
  }
  const { definition, history, title, output: outputFile, help } = parsed.values;
  if (help) {
    out(PICTURE_USAGE);
    return EXIT_OK;
  }
  if (definition === undefined) {
    err(`picture: --definition is required (the definition JSON, or describe-state-machine output)\n${PICTURE_USAGE}`);
    return EXIT_USAGE;
  }
  if (definition.length > 1) {
    err(`picture: give --definition once\n${PICTURE_USAGE}`);
    return EXIT_USAGE;
  }
  return { definitionFile: definition[0], historyFiles: history ?? [], title, outputFile };
}

/** The picture's SVG: the definition, and the execution its history pages tell, checked against each other. */
async function drawPicture({ definitionFile, historyFiles, title }: PictureRequest): Promise<string> {
  const source = withFile(definitionFile, () => readDefinition(readJson(definitionFile)));
  const trace: ExecutionTrace | undefined = historyFiles.length > 0
    ? parseExecutionHistory(historyFiles.map((file) => readJson(file)), historyFiles)
    : undefined;
  if (trace) checkTraceAgainst(source.definition, trace);
  const name = source.name ?? path.basename(definitionFile).replace(/\.json$/i, '');
  return renderPicture(source.definition, trace, { title: title ?? defaultTitle(name, trace) });
}

/** Writes the picture to the output file, or to standard output when none is given. */
function writePicture(svg: string, outputFile: string | undefined, out: (s: string) => void, err: (s: string) => void): number {
  if (outputFile === undefined) {
    out(svg.replace(/\n$/, ''));
    return EXIT_OK;
  }
  try {
    fs.writeFileSync(outputFile, svg);
  } catch (e) {
    err(`cdk-sfn-deploy picture: cannot write ${outputFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    return EXIT_BAD_INPUT;
  }
  err(`picture written to ${outputFile}`);
  return EXIT_OK;
}

function defaultTitle(name: string, trace: ExecutionTrace | undefined): string {
  if (!trace) return name;
  const status = trace.status ?? 'RUNNING';
  return trace.failedState !== undefined ? `${name}: execution ${status} in "${trace.failedState}"` : `${name}: execution ${status}`;
}

/** Every state the history enters must be one of the definition's (nested branch states included). */
function checkTraceAgainst(definition: AslDefinition, trace: ExecutionTrace): void {
  const nested = nestedStates(definition);
  const unknown = trace.states.filter((s) => !(s in definition.States) && !nested.has(s));
  if (unknown.length > 0) {
    throw new InvalidInputError(`the history enters ${unknown.length} state(s) that the definition does not have: ` +
      'give the definition of the execution\'s own state machine version ' +
      '(aws stepfunctions describe-state-machine-for-execution --execution-arn ARN --output json)');
  }
}

/** Runs `read`, naming the file in its InvalidInputError. */
function withFile<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof InvalidInputError && !e.message.includes(file)) throw new InvalidInputError(`${file}: ${e.message}`);
    throw e;
  }
}

/** A file's JSON (UTF-8, or UTF-16 with a byte-order mark); the messages name the file and the problem, never its content. */
function readJson(file: string): unknown {
  try {
    return readJsonFile(file);
  } catch (e) {
    if (e instanceof InputFileError) throw new InvalidInputError(e.message);
    throw e;
  }
}
