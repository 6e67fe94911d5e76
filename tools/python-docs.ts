/**
 * docs/API.python.md as the Python binding spells it: jsii-docgen names Construct.with() `with`, a Python
 * keyword; the binding's method is with_(). jsii-rosetta writes an example's import of a struct once per use
 * (`from m import SafetyRule, SafetyRule`): each name is imported once.
 */
import * as fs from 'fs';

const file = process.argv[2] ?? 'docs/API.python.md';
const text = fs.readFileSync(file, 'utf8');
const fixed = text.replace(/^def with\(/gm, 'def with_(').replace(/^##### `with` /gm, '##### `with_` ')
  .replace(/^(from [\w.]+ import )(.+)$/gm, (_, from: string, names: string) =>
    from + [...new Set(names.split(',').map((n) => n.trim()))].join(', '));
fs.writeFileSync(file, fixed);
