/**
 * What every fake AWS service shares: the account and region the tests run in, the SDK clients' configuration,
 * and AWS's errors as the SDK throws them.
 */
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import type { AwsStub } from 'aws-sdk-client-mock';
import { LOCAL_ENV } from '../../demo/lib/intrinsics';
import type { LocalEnv } from '../../demo/lib/intrinsics';

/** The tests' account and region: the local runs' account, in a region of their own (not the default one). */
export const TEST_ENV: LocalEnv = { account: LOCAL_ENV.account, region: 'eu-west-1' };
export const { account: ACCOUNT, region: REGION } = TEST_ENV;

/** A client of a fake service: its region, and credentials it never needs (the fake answers before any request). */
export const CLIENT_CONFIG = {
  region: REGION,
  credentials: { accessKeyId: 'AKIDTESTCLIENT', secretAccessKey: 'test-client-secret' },
};

/** The metadata of an error response. */
export const METADATA = { httpStatusCode: 400, requestId: 'fake-request' };

/** An error as the SDK throws it for an error code the service model does not list (ValidationError, Throttling). */
export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return new CloudFormationServiceException({
    name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { ...METADATA, httpStatusCode },
  });
}

/** A fake answers only the operations it models: any other call fails the test, naming the fake. */
export function refuseUnmodelled(mock: AwsStub<any, any, any>, fake: string): void {
  mock.callsFake((input) => {
    throw new Error(`${fake}: operation not modelled (input ${JSON.stringify(input)})`);
  });
}

/** Calls by operation name. */
export type CallCounts = Record<string, number>;

/** Every command the fakes' clients were sent, by operation name (what the benchmark counts). */
export function callCounts(...mocks: AwsStub<any, any, any>[]): CallCounts {
  const counts: CallCounts = {};
  for (const call of mocks.flatMap((m) => m.calls())) {
    const operation = (call.args[0] as object).constructor.name.replace(/Command$/, '');
    counts[operation] = (counts[operation] ?? 0) + 1;
  }
  return counts;
}
