/**
 * A fake Lambda service holding one function, the user's policy function (SafetyPolicy.fromFunction): the test
 * decides what it answers (or throws, as the SDK would); every invocation is recorded.
 */
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { CLIENT_CONFIG, METADATA, refuseUnmodelled } from './aws';

/** What the policy function returns, as Lambda reports it: the payload text and, if it failed, FunctionError. */
export interface FunctionAnswer {
  readonly payload: string;
  readonly functionError?: 'Unhandled' | 'Handled';
}

export interface InvokeCall {
  readonly functionName: string;
  /** The event the function received, parsed from the JSON payload. */
  readonly event: any;
}

/** A Lambda service holding one function; the test decides what it answers (or throws, as the SDK would). */
export class FakeLambda {
  /** A function that returns this value (Lambda serialises it to JSON). */
  public static json(value: unknown): FunctionAnswer {
    return { payload: JSON.stringify(value) };
  }

  /** A function that threw: Lambda answers 200 with FunctionError and the runtime's error JSON. */
  public static crashed(errorType: string, errorMessage: string): FunctionAnswer {
    return { functionError: 'Unhandled', payload: JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`] }) };
  }

  public readonly client = new LambdaClient(CLIENT_CONFIG);
  public readonly calls: InvokeCall[] = [];

  constructor(public readonly functionArn: string) {
    const mock = mockClient(this.client);
    refuseUnmodelled(mock, 'FakeLambda');
    mock.on(InvokeCommand).callsFake(async (input) => {
      if (input.FunctionName !== this.functionArn) {
        throw new ResourceNotFoundException({ message: `Function not found: ${input.FunctionName}`, $metadata: { ...METADATA, httpStatusCode: 404 } });
      }
      if (input.InvocationType !== undefined && input.InvocationType !== 'RequestResponse') {
        throw new Error(`FakeLambda: the policy function must be invoked synchronously, not ${input.InvocationType}`);
      }
      const text = input.Payload === undefined ? '' : new TextDecoder().decode(input.Payload);
      const event = JSON.parse(text);
      this.calls.push({ functionName: input.FunctionName, event });
      const answer = await this.answer(event);
      return {
        StatusCode: 200,
        ExecutedVersion: '$LATEST',
        Payload: new TextEncoder().encode(answer.payload),
        ...(answer.functionError ? { FunctionError: answer.functionError } : {}),
      };
    });
  }

  /** What the function answers; tests replace it. @default a JSON ALLOW */
  public answer: (event: any) => FunctionAnswer | Promise<FunctionAnswer> = () => FakeLambda.json({ verdict: 'ALLOW' });
}

