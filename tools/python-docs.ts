/**
 * docs/API.python.md as the Python binding spells it: jsii-docgen names Construct.with() `with`, a Python
 * keyword; the binding's method is with_().
 */
import * as fs from 'fs';

const file = process.argv[2] ?? 'docs/API.python.md';
const text = fs.readFileSync(file, 'utf8');
const fixed = text.replace(/^def with\(/gm, 'def with_(').replace(/^##### `with` /gm, '##### `with_` ');
fs.writeFileSync(file, fixed);
