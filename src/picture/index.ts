/**
 * State-machine pictures: an Amazon States Language definition and one execution of it, drawn as SVG.
 * Used by `cdk-sfn-deploy picture` and the demo; not part of the construct library's API (src/index.ts).
 */
export { InvalidInputError, nestedStates, readDefinition, transitionsOf } from './asl';
export type { AslDefinition, AslState, DefinitionSource, Transition } from './asl';
export { describeCondition } from './conditions';
export { parseExecutionHistory } from './history';
export type { ExecutionTrace } from './history';
export { renderPicture } from './render';
export type { PictureOptions } from './render';
