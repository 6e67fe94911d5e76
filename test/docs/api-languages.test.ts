import * as fs from 'fs';
import * as path from 'path';

/**
 * The Python and Java API references (docs/API.python.md, docs/API.java.md, written by jsii-docgen from the doc
 * comments of src/) show no TypeScript: jsii-docgen copies a doc comment's inline code as it is, and only the
 * `@example` blocks are translated (jsii-rosetta). Code in a doc comment is an `@example`, or words.
 */
const ROOT = path.resolve(__dirname, '..', '..');

/** TypeScript that is neither Java nor Python. JSON documents (quoted keys) are not code of a language. */
const TYPESCRIPT_ONLY: Array<[string, RegExp]> = [
  ['an arrow function', /=>/],
  ['a type annotation', /\w\s*:\s*(string|number|boolean|any)\b/],
  ['an object literal with an unquoted key', /\{\s*[A-Za-z_]\w*\s*:/],
  ['`this` as an argument', /\(this\)/],
  ['a const or let declaration', /\b(const|let)\s+\w+\s*[:=]/],
  ['a declare statement', /\bdeclare\s+const\b/],
];
const PYTHON_ONLY_TYPESCRIPT: Array<[string, RegExp]> = [['`new`', /\bnew\s+[A-Z]\w*\(/]];
const JAVA_ONLY_TYPESCRIPT: Array<[string, RegExp]> = [['a string in single quotes', /\w\('[^']{2,}'/]];

/** Every inline code span and every fenced block's lines, with its line number. */
function codeOf(markdown: string): Array<{ line: number; code: string }> {
  const found: Array<{ line: number; code: string }> = [];
  let fenced = false;
  markdown.split('\n').forEach((text, i) => {
    if (text.startsWith('```')) {
      fenced = !fenced;
      return;
    }
    if (fenced) {
      found.push({ line: i + 1, code: text });
      return;
    }
    for (const span of text.matchAll(/`([^`]+)`/g)) found.push({ line: i + 1, code: span[1] });
  });
  return found;
}

describe('the Python and Java API references', () => {
  test.each([
    ['docs/API.java.md', [...TYPESCRIPT_ONLY, ...JAVA_ONLY_TYPESCRIPT]],
    ['docs/API.python.md', [...TYPESCRIPT_ONLY, ...PYTHON_ONLY_TYPESCRIPT]],
  ])('GIVEN %s WHEN its code is read THEN none of it is TypeScript only', (page, patterns) => {
    const markdown = fs.readFileSync(path.join(ROOT, page), 'utf8');
    const typescript = codeOf(markdown).flatMap(({ line, code }) =>
      patterns.filter(([, pattern]) => pattern.test(code)).map(([what]) => `${page}:${line}: ${what}: ${code}`));
    expect(typescript).toEqual([]);
  });

  test('GIVEN the check WHEN TypeScript is shown THEN it is found (texts the references showed before)', () => {
    const before = [
      'in the `stackSteps` form: `pipeline.addStage(stage, { stackSteps: ChangeSetReviewStep.forStage(stage) })`.',
      'for example `{ VpcId: \'network.VpcId\' }`',
      '- *Default:* the stack\'s shared workflow, `DeployStateMachine.of(this)`',
      'The template in the input artifact, for example `sourceOutput.atPath(\'infra/app.yaml\')`.',
    ].join('\n');
    const hits = codeOf(before).filter(({ code }) => [...TYPESCRIPT_ONLY, ...JAVA_ONLY_TYPESCRIPT].some(([, p]) => p.test(code)));
    expect(hits.map((h) => h.line)).toEqual([1, 2, 3, 4]);
  });
});
