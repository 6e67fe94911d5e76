/** Reading the CLI's input files: JSON in UTF-8 or UTF-16 (with a byte-order mark), errors without file content. */
import * as fs from 'fs';
import { decodeText, parseJson } from '../shared/json';

/** A file that cannot be read or is not what the command needs: exit code 4. */
export class InputFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputFileError';
  }
}

export function readJsonFile(file: string): unknown {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? (e as Error).message;
    throw new InputFileError(`cannot read ${file}: ${why}`);
  }
  try {
    return parseJson(decodeText(bytes), file);
  } catch (e) {
    throw new InputFileError((e as Error).message);
  }
}
