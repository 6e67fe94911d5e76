/**
 * Rollback triggers: the `RollbackConfiguration` every stack creation and change set carries, and, after CloudFormation
 * rolled an operation back, which rollback alarm did it and why (CloudWatch's DescribeAlarms).
 *
 * What CloudFormation does, from its API reference (RollbackConfiguration, RollbackTrigger) and its user guide ("Roll
 * back your CloudFormation stack on alarm breach with rollback triggers"): it watches the alarms during the operation
 * and for MonitoringTimeInMinutes (0 to 180) after every resource is deployed; an alarm that goes to ALARM rolls the
 * whole operation back; a trigger whose alarm is missing fails the operation and rolls it back. It keeps a stack's last
 * triggers for every later update made without a RollbackConfiguration; an empty list of triggers removes them.
 */
import type { RollbackConfiguration, Stack } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { RollbackAlarm, StackSettings } from '../shared/contract';
import { truncate } from '../shared/errors';

/**
 * The RollbackConfiguration of a stack creation or change set: the stack's rollback alarms and monitoring time; with
 * none configured, an explicit empty one only when the stack has triggers or a monitoring time now (`configuredNow`),
 * so that CloudFormation drops them; otherwise nothing, and the call is what it was before rollback alarms existed.
 */
export function rollbackConfiguration(settings: Pick<StackSettings, 'rollbackAlarms' | 'monitoringMinutes'>, configuredNow: boolean): RollbackConfiguration | undefined {
  const alarms = settings.rollbackAlarms ?? [];
  if (alarms.length > 0 || settings.monitoringMinutes !== undefined) {
    return {
      RollbackTriggers: alarms.map((a) => ({ Arn: a.arn, Type: a.composite ? 'AWS::CloudWatch::CompositeAlarm' : 'AWS::CloudWatch::Alarm' })),
      MonitoringTimeInMinutes: settings.monitoringMinutes ?? 0,
    };
  }
  return configuredNow ? { RollbackTriggers: [], MonitoringTimeInMinutes: 0 } : undefined;
}

/**
 * Whether the stack has rollback triggers or a monitoring time now, as DescribeStacks shows them. A stack without
 * shows an empty RollbackConfiguration or none.
 */
export function hasRollbackConfiguration(stack: Stack): boolean {
  const rc = stack.RollbackConfiguration;
  return (rc?.RollbackTriggers?.length ?? 0) > 0 || (rc?.MonitoringTimeInMinutes ?? 0) > 0;
}

/** The alarm's name: what follows `:alarm:` in its ARN. */
export function alarmName(arn: string): string {
  const at = arn.indexOf(':alarm:');
  return at < 0 ? arn : arn.slice(at + ':alarm:'.length);
}

/**
 * After a rollback of a stack with rollback alarms: which alarm rolled it back, in words for the failure message, or
 * undefined when none did (a resource failed). `texts` are CloudFormation's reasons of this operation (the stack's
 * status reason, its stack-level events). An alarm they name did it; when they name none, the alarms CloudWatch
 * shows in ALARM, changed since the deployment started, or missing, did. Each is named with its state reason (masked by the caller, as every reason is).
 */
export async function rollbackCause(
  cloudwatch: CloudWatchClient | undefined, alarms: RollbackAlarm[], texts: string[], since: number,
): Promise<string | undefined> {
  if (alarms.length === 0) return undefined;
  const named = alarms.filter((a) => texts.some((t) => t.includes(a.arn) || t.includes(alarmName(a.arn))));
  let described: Map<string, AlarmState> | undefined;
  let unreadable: string | undefined;
  if (!cloudwatch) {
    unreadable = 'CloudWatch is not read for a stack of another account or region';
  } else {
    try {
      described = await describeAlarms(cloudwatch, alarms);
    } catch (e) {
      unreadable = `DescribeAlarms failed: ${(e as Error).name}`;
    }
  }
  const blamed = named.length > 0 ? named
    : described ? alarms.filter((a) => {
      const state = described!.get(alarmName(a.arn));
      return !state || state.value === 'ALARM' || state.updatedAt >= since;
    }) : [];
  if (blamed.length === 0) return undefined;
  const lines = blamed.map((a) => {
    const name = alarmName(a.arn);
    if (!described) return `rollback alarm ${name} (its state reason could not be read: ${unreadable})`;
    const state = described.get(name);
    if (!state) {
      return `rollback alarm ${name} does not exist (CloudFormation fails and rolls back an operation whose rollback trigger is missing): ` +
        'create it, or remove it from rollbackAlarms';
    }
    return `rollback alarm ${name} is ${state.value}: ${truncate(state.reason ?? 'no state reason', 600)}`;
  });
  return `${lines.join('; ')}`;
}

/**
 * An alarm's state reason on one line: anyone allowed cloudwatch:SetAlarmState writes it, and a line break in it would
 * start a line of its own in the pipeline's failure message (a forged "Deployment succeeded", say).
 */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

interface AlarmState {
  readonly value: string;
  readonly reason?: string;
  readonly updatedAt: number;
}

/**
 * The alarms' states by name. Composite alarms are returned only when asked for by type (DescribeAlarms' AlarmTypes),
 * so both types are asked for.
 */
export async function describeAlarms(cloudwatch: CloudWatchClient, alarms: RollbackAlarm[]): Promise<Map<string, AlarmState>> {
  const names = [...new Set(alarms.map((a) => alarmName(a.arn)))];
  const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
  const states = new Map<string, AlarmState>();
  for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
    if (!a.AlarmName) continue;
    states.set(a.AlarmName, {
      value: a.StateValue ?? 'UNKNOWN',
      ...(a.StateReason ? { reason: oneLine(a.StateReason) } : {}),
      updatedAt: a.StateUpdatedTimestamp ? new Date(a.StateUpdatedTimestamp).getTime() : 0,
    });
  }
  return states;
}
