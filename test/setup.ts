// Jest setup: the Promise.withResolvers polyfill that aws-local-stepfunctions needs on Node.js 20.
import '../demo/lib/polyfill';
