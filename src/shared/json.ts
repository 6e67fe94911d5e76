/**
 * Reading JSON that someone else wrote (UserParameters, the S3 input file, a template configuration file,
 * the CLI's files). Text in UTF-8 or UTF-16 with a byte-order mark is accepted (Windows PowerShell's `>`
 * writes UTF-16). A parse error says where the problem is and what it is, never the text around it: the
 * text may hold a secret, and the message reaches the pipeline's console.
 */
import { parse, printParseErrorCode } from 'jsonc-parser';
import type { ParseError } from 'jsonc-parser';

/** Decodes a file's bytes: UTF-8 (with or without BOM), or UTF-16 LE/BE with a BOM. */
export function decodeText(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  // TextDecoder drops a UTF-8 BOM by itself.
  return new TextDecoder('utf-8').decode(bytes);
}

/** The longest key name a message shows whole; a longer one is cut short. */
const SHOWN_KEY_LENGTH = 64;

/**
 * What JSON.stringify leaves as it is but a reader may see as a line break or a reordering of the text: C1 controls
 * (NEL among them), the line and paragraph separators, and the bidirectional overrides and isolates.
 */
const INVISIBLE_BREAKS = /[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A key someone wrote, as a message shows it: quoted, with every control character, line separator and direction
 * override escaped (it stays visible and cannot start a line of its own in the pipeline's message or the log), and
 * cut short when long.
 */
export function quotedKey(key: string): string {
  return JSON.stringify(key.length > SHOWN_KEY_LENGTH ? `${key.slice(0, SHOWN_KEY_LENGTH)}…` : key)
    .replace(INVISIBLE_BREAKS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A key someone wrote as a message shows it: as is when it is a plain name (letters, digits, `_`, `-`), quoted (quotedKey) otherwise. */
export function shownKey(key: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(key) ? key : quotedKey(key);
}

/** JSON.parse, with an error that names `what` and the position of the problem, without quoting the text. */
export function parseJson(text: string, what: string): unknown {
  const unmarked = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(unmarked);
  } catch {
    throw new JsonSyntaxError(`${what} is not valid JSON: ${locate(unmarked)}`);
  }
}

/** A JSON text that does not parse. */
export class JsonSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** The first problem in a text that JSON.parse refused: what and where (line and column), no text. */
function locate(text: string): string {
  if (text.trim() === '') return 'it is empty';
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return 'it holds something JSON does not allow';
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = first.offset - before.lastIndexOf('\n');
  const problem = readable(printParseErrorCode(first.error));
  return `${problem} at line ${line}, column ${column}`;
}

/** `CommaExpected` → `comma expected`. */
function readable(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
