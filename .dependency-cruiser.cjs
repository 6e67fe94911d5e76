/**
 * The structure of src/, checked by `npx projen structure` (part of `npx projen test`): each folder is a layer
 * and imports only the layers below it; no module takes part in a cycle. docs/STRUCTURE.md draws it.
 *
 *   action    the construct            -> workflow, trigger, policy, shared, private
 *   workflow  state machine and tasks  -> trigger, policy, shared, private
 *   trigger   the trigger Lambda       -> policy, shared
 *   policy    policies and strategies  -> shared
 *   cli       the command line         -> picture, policy, shared (never the constructs)
 *   picture   the execution pictures   -> nothing
 *   shared    the contract between constructs and handlers, the policy vocabulary -> nothing
 *   private   construct helpers        -> nothing
 */
const BELOW = {
  action: ['workflow', 'trigger', 'policy', 'shared', 'private'],
  workflow: ['trigger', 'policy', 'shared', 'private'],
  trigger: ['policy', 'shared'],
  policy: ['shared'],
  cli: ['picture', 'policy', 'shared'],
  picture: [],
  shared: [],
  private: [],
};

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A module that needs itself through others: the layers below must not know the ones above.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unknown-layer',
      comment: 'Every folder of src/ is a layer of .dependency-cruiser.cjs (say where a new one sits).',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: `^src/(${Object.keys(BELOW).join('|')})/` },
      to: {},
    },
    ...Object.entries(BELOW).map(([layer, below]) => ({
      name: `${layer}-imports-only-below`,
      comment: `${layer}/ may import ${below.length > 0 ? below.join(', ') : 'no other folder of src/'}`,
      severity: 'error',
      from: { path: `^src/${layer}/` },
      to: { path: '^src/[^/]+/', pathNot: `^src/(${[layer, ...below].join('|')})/` },
    })),
  ],
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.dev.json' },
    doNotFollow: { path: 'node_modules' },
    // The drawing: layers top to bottom, so every arrow points down.
    reporterOptions: { dot: { theme: { graph: { rankdir: 'TB', ranksep: '0.5', nodesep: '0.4' } } } },
  },
};
