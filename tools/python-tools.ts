/**
 * moto (the AWS emulator of the demo and the end-to-end tests) and cfn-lint (the template checks), at the
 * versions of tools/python-requirements.txt, in a virtual environment of the project's own: `.venv-tools/`.
 *
 *   npx projen python-tools     makes it, once (the demo and test tasks run it first); a no-op when it is
 *                               up to date with the requirements and the Python that made it
 *
 * Needs Python 3.9 or later with its `venv` module (`python3`, or the interpreter named by $PYTHON).
 * $MOTO_SERVER and $CFN_LINT name other executables to use instead; then nothing is installed.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
export const VENV = path.join(ROOT, '.venv-tools');
const REQUIREMENTS = path.join(__dirname, 'python-requirements.txt');
const CONSTRAINTS = path.join(__dirname, 'python-constraints.txt');
/** Written last: the requirements the environment was made from. */
const STAMP = path.join(VENV, 'made-from.json');
/** Held while the environment is checked or made, so that two runs at once do not make it twice. */
const LOCK = `${VENV}.lock`;

export type PythonTool = 'moto_server' | 'cfn-lint';

const OVERRIDES: Record<PythonTool, string> = { 'moto_server': 'MOTO_SERVER', 'cfn-lint': 'CFN_LINT' };

/** The executable to run for a tool: the override's, else the project's environment's. */
export function pythonTool(tool: PythonTool): string {
  const override = process.env[OVERRIDES[tool]];
  if (override) return override;
  const executable = path.join(VENV, process.platform === 'win32' ? 'Scripts' : 'bin', process.platform === 'win32' ? `${tool}.exe` : tool);
  if (!fs.existsSync(executable)) {
    throw new Error(`${tool} is not installed in ${path.relative(process.cwd(), VENV) || VENV}: run \`npx projen python-tools\` ` +
      `(the demo and test tasks do), or set ${OVERRIDES[tool]} to an executable of your own`);
  }
  return executable;
}

/** Makes `.venv-tools/` unless it is up to date; says what it does. Throws with the reason if it cannot. */
export function ensurePythonTools(log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): void {
  if (process.env.MOTO_SERVER && process.env.CFN_LINT) {
    log('python-tools: MOTO_SERVER and CFN_LINT are set; nothing to install');
    return;
  }
  const python = process.env.PYTHON ?? (process.platform === 'win32' ? 'python' : 'python3');
  const version = run(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
    missing: `Python 3 is needed for the demo's AWS emulator (moto) and for cfn-lint, and \`${python}\` was not found: ` +
      'install Python 3.9 or later, or set PYTHON to its interpreter',
  }).trim().split('\n');
  const [major, minor] = version[0].split('.').map(Number);
  if (major !== 3 || minor < 9) throw new Error(`${python} is Python ${version[0]}; moto and cfn-lint need Python 3.9 or later (set PYTHON)`);

  withLock(() => make(python, version[0], log));
}

function make(python: string, version: string, log: (line: string) => void): void {
  const wanted = { requirements: digest(REQUIREMENTS, CONSTRAINTS) };
  const venvPython = path.join(VENV, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  // Up to date: made from these requirements, and its interpreter still runs (the one it was made from may be gone).
  if (fs.existsSync(STAMP) && JSON.parse(fs.readFileSync(STAMP, 'utf-8')).requirements === wanted.requirements
    && spawnSync(venvPython, ['-c', ''], { stdio: 'ignore' }).status === 0) return;

  const relative = path.relative(ROOT, VENV);
  log(`python-tools: installing ${pins().join(', ')} into ${relative}/ with Python ${version} (once; about a minute) ...`);
  fs.rmSync(VENV, { recursive: true, force: true });
  run(python, ['-m', 'venv', VENV], {
    failed: `\`${python} -m venv\` failed. On Debian or Ubuntu the venv module is a package of its own: apt-get install python3-venv`,
  });
  run(venvPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input',
    '-r', REQUIREMENTS, '-c', CONSTRAINTS], { failed: `pip could not install ${path.relative(ROOT, REQUIREMENTS)} (is the Python package index reachable?)`, inherit: true });
  for (const [tool, args] of [['moto_server', ['--help']], ['cfn-lint', ['--version']]] as const) {
    if (!process.env[OVERRIDES[tool]]) run(pythonTool(tool), [...args], { failed: `${tool} does not run from ${relative}/` });
  }
  fs.writeFileSync(STAMP, `${JSON.stringify(wanted, undefined, 2)}\n`);
  log(`python-tools: ready (${relative}/; delete it to start over)`);
}

/** Runs `action` holding LOCK; waits up to 10 minutes for another run to let go of it. */
function withLock(action: () => void): void {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left by a run that was killed: older than any install takes.
      const held = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 15 * 60_000) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${LOCK} is held by another run for 10 minutes; remove it if no other run is going on`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  try {
    action();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

function pins(): string[] {
  return fs.readFileSync(REQUIREMENTS, 'utf-8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

function digest(...files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(fs.readFileSync(file));
  return hash.digest('hex');
}

function run(command: string, args: string[], messages: { missing?: string; failed?: string; inherit?: boolean }): string {
  const result = spawnSync(command, args, { encoding: 'utf-8', stdio: ['ignore', 'pipe', messages.inherit ? 'inherit' : 'pipe'] });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' && messages.missing ? messages.missing : `${command} ${args.join(' ')}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`${messages.failed ?? `${command} ${args.join(' ')} exited ${result.status}`}\n${result.stdout ?? ''}${result.stderr ?? ''}`.trim());
  }
  return result.stdout;
}

if (require.main === module) {
  try {
    ensurePythonTools();
  } catch (e) {
    process.stderr.write(`python-tools: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
