/** The demo's virtual clock: executions sleep on it, CodePipeline's side moves it. */
import { SleepingClock, waitSecondsOf } from '../../demo/lib/virtual-time';

test('GIVEN an execution asleep until t=5 s WHEN the clock moves to 4 s, then to 30 s THEN it wakes only at the second move', async () => {
  const clock = new SleepingClock(0);
  let woke = false;
  const asleep = clock.asleep();
  const sleep = clock.sleepUntil(5_000).then(() => { woke = true; });
  await asleep; // resolves once the execution sleeps
  clock.set(4_000);
  await Promise.resolve();
  expect(woke).toBe(false);
  await expect(clock.asleep()).resolves.toBeUndefined(); // still asleep: at once
  clock.set(30_000);
  await sleep;
  expect(woke).toBe(true);
  await expect(clock.sleepUntil(30_000)).resolves.toBeUndefined(); // a time already reached: no sleep
  expect(() => clock.set(10_000)).toThrow(/cannot go back/);
});

test('GIVEN a Wait state WHEN its seconds are read THEN Seconds or a plain SecondsPath is used, anything else is refused', () => {
  expect(waitSecondsOf('W', { Seconds: 7 }, {})).toBe(7);
  expect(waitSecondsOf('W', { SecondsPath: '$.poll.seconds' }, { poll: { seconds: 12 } })).toBe(12);
  expect(() => waitSecondsOf('W', { SecondsPath: '$.poll.seconds' }, { poll: {} })).toThrow(/not a whole number/);
  expect(() => waitSecondsOf('W', { Timestamp: '2026-01-01T00:00:00Z' }, {})).toThrow(/only Seconds and SecondsPath/);
});
