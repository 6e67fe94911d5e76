/**
 * Reads an Amazon States Language definition as a picture needs it: checks its shape (StartAt, States,
 * every state's Type, every transition pointing at a state that exists), and lists its transitions
 * (Next, each Choice rule, Default, each Catch, and End) in a fixed order.
 *
 * The definition may be given as the raw definition JSON, as the output of
 * `aws stepfunctions describe-state-machine` or `describe-state-machine-for-execution` (where
 * `definition` is a JSON string). Errors name the problem and the fix, never the file's content.
 */

/** One state of a definition, with the fields a picture reads; everything else is kept but ignored. */
export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: readonly Record<string, unknown>[];
  readonly Catch?: readonly AslCatcher[];
  readonly Branches?: readonly AslDefinition[];
  readonly Iterator?: AslDefinition;
  readonly ItemProcessor?: AslDefinition;
  readonly [key: string]: unknown;
}

export interface AslCatcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  readonly [key: string]: unknown;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly [key: string]: unknown;
}

/** A definition read from one of the forms a user has, with the state machine's name when the form gives it. */
export interface DefinitionSource {
  readonly definition: AslDefinition;
  readonly name?: string;
}

export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** How a state is left: by its Next, a Choice rule (index), the Default, its Catches to one state, or its End. */
export type TransitionKind = 'next' | 'choice' | 'default' | 'catch' | 'end';

export interface Transition {
  readonly from: string;
  /** A state name; for `end`, no state: the execution ends there. */
  readonly to?: string;
  readonly kind: TransitionKind;
  /** The Choices index, for `choice`. */
  readonly index?: number;
  /** For `catch`: the errors caught, of every Catch of the state that goes to the same state, in order. */
  readonly errors?: readonly string[];
}

const STATE_TYPES = ['Task', 'Choice', 'Wait', 'Pass', 'Succeed', 'Fail', 'Parallel', 'Map'];

/** The definition inside any of the accepted forms (raw definition, describe-state-machine[-for-execution]). */
export function readDefinition(value: unknown): DefinitionSource {
  if (!isObject(value)) {
    throw new InvalidInputError('the definition is not a JSON object: give the state machine definition ' +
      '(or the output of aws stepfunctions describe-state-machine --output json)');
  }
  if ('States' in value || 'StartAt' in value) {
    return { definition: checkDefinition(value, 'the definition') };
  }
  if ('definition' in value) {
    const inner = value.definition;
    let parsed: unknown = inner;
    if (typeof inner === 'string') {
      try {
        parsed = JSON.parse(inner);
      } catch {
        throw new InvalidInputError('the "definition" field is a string that is not JSON: give the output of ' +
          'aws stepfunctions describe-state-machine --output json unchanged');
      }
    }
    const name = typeof value.name === 'string' ? value.name : undefined;
    return { definition: checkDefinition(parsed, 'the "definition" field'), ...(name ? { name } : {}) };
  }
  throw new InvalidInputError('the definition has neither "StartAt"/"States" nor a "definition" field: give the ' +
    'state machine definition, or the output of aws stepfunctions describe-state-machine (or ' +
    'describe-state-machine-for-execution) --output json');
}

/** Checks a definition's shape; `where` says which part of the input it is, for the messages. */
export function checkDefinition(value: unknown, where = 'the definition', path = ''): AslDefinition {
  if (!isObject(value)) throw new InvalidInputError(`${where}${path} is not a JSON object`);
  const { StartAt: startAt, States: states } = value;
  if (typeof startAt !== 'string') throw new InvalidInputError(`${where}${path} has no "StartAt" string: name the first state`);
  if (!isObject(states) || Object.keys(states).length === 0) {
    throw new InvalidInputError(`${where}${path} has no "States" object with at least one state`);
  }
  if (!(startAt in states)) throw new InvalidInputError(`${where}${path}: "StartAt" names a state that is not in "States"`);
  for (const [name, state] of Object.entries(states)) {
    const at = `${where}${path}: state ${JSON.stringify(name)}`;
    if (!isObject(state) || typeof state.Type !== 'string') throw new InvalidInputError(`${at} has no "Type"`);
    if (!STATE_TYPES.includes(state.Type)) {
      throw new InvalidInputError(`${at} has an unknown Type: expected one of ${STATE_TYPES.join(', ')}`);
    }
    const target = (field: string, next: unknown) => {
      if (typeof next !== 'string' || !(next in states)) {
        throw new InvalidInputError(`${at}: ${field} does not name a state of the same "States" object`);
      }
    };
    if (state.Next !== undefined) target('"Next"', state.Next);
    if (state.Type === 'Choice') {
      if (!Array.isArray(state.Choices) || state.Choices.length === 0) throw new InvalidInputError(`${at} is a Choice without "Choices"`);
      state.Choices.forEach((rule, i) => {
        if (!isObject(rule)) throw new InvalidInputError(`${at}: Choices[${i}] is not an object`);
        target(`Choices[${i}].Next`, rule.Next);
      });
      if (state.Default !== undefined) target('"Default"', state.Default);
    }
    if (state.Catch !== undefined) {
      if (!Array.isArray(state.Catch)) throw new InvalidInputError(`${at}: "Catch" is not a list`);
      state.Catch.forEach((catcher, i) => {
        if (!isObject(catcher) || !Array.isArray(catcher.ErrorEquals) || !catcher.ErrorEquals.every((e) => typeof e === 'string')) {
          throw new InvalidInputError(`${at}: Catch[${i}] has no "ErrorEquals" list of error names`);
        }
        target(`Catch[${i}].Next`, catcher.Next);
      });
    }
    if (state.Type === 'Parallel') {
      if (!Array.isArray(state.Branches)) throw new InvalidInputError(`${at} is a Parallel without "Branches"`);
      state.Branches.forEach((branch, i) => checkDefinition(branch, where, `${path} (${name} branch ${i + 1})`));
    }
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor !== undefined) checkDefinition(processor, where, `${path} (${name} item processor)`);
    }
  }
  return value as unknown as AslDefinition;
}

/** Every transition of the top-level states, in definition order: Next, Choices, Default, Catch, End. */
export function transitionsOf(definition: AslDefinition): Transition[] {
  const transitions: Transition[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Next) transitions.push({ from: name, to: state.Next, kind: 'next' });
    (state.Choices ?? []).forEach((rule, index) => transitions.push({ from: name, to: rule.Next as string, kind: 'choice', index }));
    if (state.Default) transitions.push({ from: name, to: state.Default, kind: 'default' });
    // Catches to the same state are one transition (States.ALL must stand alone in the last Catch, so a
    // state that names an error States.ALL does not cover has two Catches to its error handler).
    const catchers = new Map<string, string[]>();
    for (const catcher of state.Catch ?? []) {
      const errors = catchers.get(catcher.Next) ?? [];
      if (errors.length === 0) catchers.set(catcher.Next, errors);
      errors.push(...catcher.ErrorEquals);
    }
    for (const [to, errors] of catchers) transitions.push({ from: name, to, kind: 'catch', errors });
    if (state.End === true && !state.Next) transitions.push({ from: name, kind: 'end' });
  }
  return transitions;
}

/** The states nested in Parallel branches and Map item processors, each mapped to its top-level state. */
export function nestedStates(definition: AslDefinition): Map<string, string> {
  const owners = new Map<string, string>();
  const visit = (inner: AslDefinition, owner: string) => {
    for (const [name, state] of Object.entries(inner.States)) {
      if (!owners.has(name)) owners.set(name, owner);
      for (const child of childDefinitions(state)) visit(child, owner);
    }
  };
  for (const [name, state] of Object.entries(definition.States)) {
    for (const child of childDefinitions(state)) visit(child, name);
  }
  return owners;
}

export function childDefinitions(state: AslState): AslDefinition[] {
  const children: AslDefinition[] = [...(state.Branches ?? [])];
  const processor = state.ItemProcessor ?? state.Iterator;
  if (processor) children.push(processor);
  return children;
}

/** Whether an error name is caught by a Catch's ErrorEquals, as Step Functions matches them. */
export function catches(errorEquals: readonly string[], error: string): boolean {
  return errorEquals.some((e) => e === error || e === 'States.ALL' || (e === 'States.TaskFailed' && error !== 'States.Timeout'));
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
