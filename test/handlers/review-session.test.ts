/**
 * Which roles the task function may assume, and the session policy of a review role: built from the function's
 * environment (which the construct writes), never from a task's input.
 */
import { ENV } from '../../src/shared/contract';
import { SESSION_POLICY_LIMIT, assumableRoles, reviewSessionPolicy, sessionPolicyFor } from '../../src/workflow/review-session';

const REVIEW = 'arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-west-2';
const DEPLOY = 'arn:aws:iam::333333333333:role/pipeline-deployer';
const env = {
  [ENV.deployRoles]: JSON.stringify([DEPLOY]),
  [ENV.reviewRoles]: JSON.stringify([[REVIEW, ['Prod-Data']], [REVIEW, ['Prod-Topics']]]),
};

test('a review role gets a policy for its stacks (listed in several entries), a deployment role none, any other role is refused', () => {
  const roles = assumableRoles(env);
  expect(roles.review.get(REVIEW)).toEqual(['Prod-Data', 'Prod-Topics']);
  const policy = JSON.parse(sessionPolicyFor(REVIEW, roles)!);
  expect(policy.Statement[1].Resource).toEqual([
    'arn:aws:cloudformation:*:222222222222:stack/Prod-Data/*', 'arn:aws:cloudformation:*:222222222222:stack/Prod-Topics/*',
  ]);
  expect(sessionPolicyFor(DEPLOY, roles)).toBeUndefined();
  expect(() => sessionPolicyFor('arn:aws:iam::444444444444:role/other', roles)).toThrow(/is not a role this workflow was given/);
  // No environment at all: nothing is assumed.
  expect(() => sessionPolicyFor(REVIEW, assumableRoles({}))).toThrow(/is not a role this workflow was given/);
});

test('a policy in another partition names that partition', () => {
  const policy = reviewSessionPolicy('arn:aws-cn:iam::222222222222:role/deployer', ['Prod-Data']);
  expect(JSON.parse(policy).Statement[0].Resource[0]).toBe('arn:aws-cn:cloudformation:*:222222222222:stack/Prod-Data/*');
});

test('GIVEN too many stacks for an exact policy THEN reading covers the account\'s stacks while deleting stays with the reviewed ones; beyond that it is refused', () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `Production-ServiceNumber${i}`);
  const exact = reviewSessionPolicy(REVIEW, names(5));
  expect(JSON.parse(exact).Statement[0].Resource).toHaveLength(10);
  const broad = JSON.parse(reviewSessionPolicy(REVIEW, names(20)));
  expect(broad.Statement[0].Resource).toBe('arn:aws:cloudformation:*:222222222222:stack/*/*');
  expect(broad.Statement[1].Resource).toHaveLength(20);
  expect(broad.Statement[1].Condition).toEqual({ StringEquals: { 'cloudformation:ChangeSetName': 'PipelineChange' } });
  expect(reviewSessionPolicy(REVIEW, names(20)).length).toBeLessThanOrEqual(SESSION_POLICY_LIMIT);
  expect(() => reviewSessionPolicy(REVIEW, names(40))).toThrow(/would exceed STS's 2048 characters/);
});

test('a malformed environment is an error, never an empty list', () => {
  expect(() => assumableRoles({ [ENV.reviewRoles]: '{not json' })).toThrow(/REVIEW_ROLES is not JSON/);
  expect(() => assumableRoles({ [ENV.reviewRoles]: JSON.stringify([REVIEW]) })).toThrow(/REVIEW_ROLES must be a JSON list of \[role ARN, \[stack names\]\]/);
  expect(() => assumableRoles({ [ENV.deployRoles]: JSON.stringify({ role: DEPLOY }) })).toThrow(/DEPLOY_ROLES must be a JSON list/);
  expect(() => sessionPolicyFor(DEPLOY, assumableRoles({ ...env, [ENV.reviewRoles]: JSON.stringify([[DEPLOY, ['x']]]) }))).toThrow(/listed both/);
});
