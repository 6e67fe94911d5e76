/**
 * A fake CloudWatch that keeps alarms and answers DescribeAlarms as CloudWatch does (API reference, DescribeAlarms):
 * alarms by name, metric alarms only unless AlarmTypes asks for composite ones too, names it does not know left out.
 */
import { CloudWatchClient, CloudWatchServiceException, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { ACCOUNT, CLIENT_CONFIG, METADATA, REGION, refuseUnmodelled } from './aws';

export interface AlarmModel {
  readonly name: string;
  readonly composite: boolean;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  updatedAt: Date;
}

/** The ARN of an alarm of the tests' account and region. */
export function alarmArn(name: string): string {
  return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
}

export class FakeCloudWatch {
  public readonly client = new CloudWatchClient(CLIENT_CONFIG);
  public readonly mock = mockClient(this.client);
  public readonly alarms = new Map<string, AlarmModel>();
  /** The input of every DescribeAlarms call. */
  public readonly calls: Record<string, any>[] = [];
  /** Every later DescribeAlarms fails with this error (a missing right, for example). */
  public failure?: Error;
  /** Called before each DescribeAlarms is answered, with how many were made (this one included): alarms change state over time. */
  public beforeCall?: (calls: number) => void;

  constructor(private readonly clock: () => number = Date.now) {
    refuseUnmodelled(this.mock, 'FakeCloudWatch');
    this.mock.on(DescribeAlarmsCommand).callsFake(async (input) => this.describeAlarms(input));
  }

  /** An alarm in `state` since an hour ago. */
  public putAlarm(name: string, state: AlarmModel['state'] = 'OK', options: { composite?: boolean; reason?: string } = {}): AlarmModel {
    const alarm: AlarmModel = {
      name,
      composite: options.composite ?? false,
      state,
      reason: options.reason ?? `Threshold Crossed: no datapoints were received for ${name}`,
      updatedAt: new Date(this.clock() - 3_600_000),
    };
    this.alarms.set(name, alarm);
    return alarm;
  }

  /** The alarm changes state now, with CloudWatch's reason. */
  public setState(name: string, state: AlarmModel['state'], reason: string): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new Error(`FakeCloudWatch: no alarm ${name}`);
    Object.assign(alarm, { state, reason, updatedAt: new Date(this.clock()) });
  }

  /** Whether an alarm of that ARN exists. */
  public exists(arn: string): boolean {
    const at = arn.indexOf(':alarm:');
    return at >= 0 && this.alarms.has(arn.slice(at + ':alarm:'.length));
  }

  private describeAlarms(input: Record<string, any>) {
    this.calls.push(JSON.parse(JSON.stringify(input)));
    this.beforeCall?.(this.calls.length);
    if (this.failure) throw this.failure;
    const names: string[] | undefined = input.AlarmNames;
    if (names && names.length > 100) throw awsCloudWatchError('InvalidParameterValue', 'AlarmNames holds at most 100 names');
    const types: string[] = input.AlarmTypes ?? ['MetricAlarm'];
    const found = [...this.alarms.values()].filter((a) => !names || names.includes(a.name));
    const shape = (a: AlarmModel) => ({
      AlarmName: a.name, AlarmArn: alarmArn(a.name), StateValue: a.state, StateReason: a.reason, StateUpdatedTimestamp: a.updatedAt,
    });
    return {
      ...(types.includes('MetricAlarm') ? { MetricAlarms: found.filter((a) => !a.composite).map(shape) } : {}),
      ...(types.includes('CompositeAlarm') ? { CompositeAlarms: found.filter((a) => a.composite).map(shape) } : {}),
    };
  }
}

/** An error as the CloudWatch client throws it. */
export function awsCloudWatchError(name: string, message: string): Error {
  return new CloudWatchServiceException({ name, message, $fault: 'client', $metadata: METADATA });
}
