import fc from 'fast-check';

// Property-based tests are reproducible: the same seed on every run unless FC_SEED gives another one
// (FC_SEED=random draws one; fast-check prints the seed of any failure, to run it again with FC_SEED=<seed>).
const seed = process.env.FC_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FC_SEED ?? 20261130);
if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", not ${process.env.FC_SEED}`);
fc.configureGlobal({ seed });
