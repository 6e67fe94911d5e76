/**
 * Fault injection for the fault tests: wraps an AWS SDK client (usually one of the stateful fakes) so that
 * chosen commands fail before they reach it (the call had no effect: throttling, a 5xx refusal, a Lambda
 * service error) or after it (the call took effect and the response was lost: a timeout, a dropped
 * connection). Every other call goes through to the wrapped client unchanged.
 */
import { CloudFormationServiceException } from '@aws-sdk/client-cloudformation';
import { S3ServiceException } from '@aws-sdk/client-s3';

/** A command class of the AWS SDK (matched with instanceof). */
export type CommandClass = abstract new (...args: any[]) => { readonly input: unknown };

/** Decides what one call does: `next()` passes it to the wrapped client. */
export type Interceptor = (input: any, next: () => Promise<any>) => Promise<any>;

export interface InterceptedCall {
  readonly command: string;
  readonly input: any;
  /** The name of the error the caller got, if any. */
  readonly error?: string;
}

/** A client whose `send` runs the interceptors of the matching command first. */
export class Intercepted<T extends { send: (...args: any[]) => any }> {
  public readonly client: T;
  public readonly calls: InterceptedCall[] = [];
  private readonly rules: [CommandClass, Interceptor][] = [];

  constructor(target: T) {
    const send = target.send.bind(target);
    const run = async (command: any, ...rest: any[]) => {
      const name = command?.constructor?.name ?? 'unknown';
      const input = JSON.parse(JSON.stringify(command.input ?? {}));
      const matching = this.rules.filter(([type]) => command instanceof type).map(([, fn]) => fn);
      const chain = (i: number): Promise<any> => (i < matching.length
        ? matching[i](command.input, () => chain(i + 1))
        : send(command, ...rest));
      try {
        const output = await chain(0);
        this.calls.push({ command: name, input });
        return output;
      } catch (e) {
        this.calls.push({ command: name, input, error: (e as Error).name });
        throw e;
      }
    };
    this.client = new Proxy(target, {
      get: (obj, prop, receiver) => (prop === 'send' ? run : Reflect.get(obj, prop, receiver)),
    });
  }

  /** Adds an interceptor for a command; the ones added first run first. */
  public on(command: CommandClass, interceptor: Interceptor): this {
    this.rules.push([command, interceptor]);
    return this;
  }

  /** The next `times` calls of `command` fail with `error()` before reaching the service (Infinity: all). */
  public failBefore(command: CommandClass, times: number, error: () => Error): this {
    let left = times;
    return this.on(command, async (_input, next) => {
      if (left > 0) {
        left--;
        throw error();
      }
      return next();
    });
  }

  /** The next `times` calls of `command` take effect, then the caller gets `error()` instead of the response. */
  public failAfter(command: CommandClass, times: number, error: () => Error): this {
    let left = times;
    return this.on(command, async (_input, next) => {
      const output = await next();
      if (left > 0) {
        left--;
        throw error();
      }
      return output;
    });
  }

  /**
   * CloudFormation's documented idempotency token: a request repeated with the ClientRequestToken of one that
   * succeeded is not done again ("so that CloudFormation knows that you're not attempting to execute a
   * change set ... with the same name"). The repeat gets the first response.
   */
  public idempotentOn(command: CommandClass, tokenField = 'ClientRequestToken'): this {
    const done = new Map<string, unknown>();
    return this.on(command, async (input, next) => {
      const token = input?.[tokenField];
      if (token && done.has(token)) return done.get(token);
      const output = await next();
      if (token) done.set(token, output);
      return output;
    });
  }

  public callsOf(command: CommandClass): InterceptedCall[] {
    const name = (command as unknown as { name: string }).name;
    return this.calls.filter((c) => c.command === name);
  }
}

export function intercept<T extends { send: (...args: any[]) => any }>(client: T): Intercepted<T> {
  return new Intercepted(client);
}

// ------------------------------------------------------------------------------------------------ errors

/** The SDK's error for an error code the service model does not list, as CloudFormation returns it. */
function cfnError(name: string, message: string, httpStatusCode: number): Error {
  return new CloudFormationServiceException({
    name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode, requestId: 'fault' },
  });
}

/** Transient errors as the AWS SDK surfaces them once its own retries are spent. */
export const TRANSIENT = {
  /** CloudFormation's throttling error (HTTP 400, code Throttling). */
  throttling: () => cfnError('Throttling', 'Rate exceeded', 400),
  /** The error name most other services use for throttling. */
  throttlingException: () => cfnError('ThrottlingException', 'Rate exceeded', 400),
  /** A server error (HTTP 500). */
  internalFailure: () => cfnError('InternalFailure', 'An internal error occurred', 500),
  /** Service unavailable (HTTP 503). */
  serviceUnavailable: () => cfnError('ServiceUnavailable', 'Service is unavailable', 503),
  /** S3's throttling (HTTP 503 SlowDown). */
  slowDown: () => new S3ServiceException({
    name: 'SlowDown', message: 'Please reduce your request rate.', $fault: 'server', $metadata: { httpStatusCode: 503 },
  }),
  /** A dropped connection (Node.js network error). */
  connectionReset: () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  /** The SDK's request timeout. */
  timeout: () => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' }),
} as const;

/** An error of the Lambda service as a Task state sees it (the task function did not run, or its result was lost). */
export function lambdaError(name = 'Lambda.ServiceException'): Error {
  const error = new Error(`${name}: Lambda was unable to run the function (injected)`);
  error.name = name;
  return error;
}

/** A Task state's own timeout, as Step Functions raises it. */
export function statesTimeout(): Error {
  const error = new Error('Task timed out after 90.00 seconds (injected)');
  error.name = 'States.Timeout';
  return error;
}

export function accessDenied(what: string): Error {
  return cfnError('AccessDenied', `User: arn:aws:sts::123456789012:assumed-role/TaskRole/fn is not authorized to perform: ${what}`, 403);
}
