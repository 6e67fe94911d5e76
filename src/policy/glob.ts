/**
 * Glob matching for resource types and logical ids: `*` matches any run of characters (also none), `?` exactly
 * one, everything else itself. The time is at most proportional to the value's length times the glob's,
 * whatever the glob: a rule such as `********Db` cannot make the evaluator run for minutes, as a regular
 * expression built from it would (backtracking). No CommonJS glob library matches in linear time (picomatch,
 * micromatch and wildcard-match compile to backtracking regular expressions; `matcher`, which does not, is an
 * ES module without `?`), so the small algorithm lives here.
 */

/** Whether `value` matches `glob`. */
export function globMatches(glob: string, value: string): boolean {
  const parts = glob.split('*');
  if (parts.length === 1) return value.length === glob.length && segmentAt(glob, value, 0);
  const first = parts[0];
  const last = parts[parts.length - 1];
  const end = value.length - last.length;
  if (end < first.length || !segmentAt(first, value, 0) || !segmentAt(last, value, end)) return false;
  // Each middle part at its earliest position leaves the most room for the parts after it, so the first
  // fit is the right one and nothing is ever tried twice.
  let position = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = indexOfSegment(parts[i], value, position, end);
    if (found < 0) return false;
    position = found + parts[i].length;
  }
  return true;
}

/** Whether `segment` (literal characters and `?`) matches `value` at `start`. */
function segmentAt(segment: string, value: string, start: number): boolean {
  if (start + segment.length > value.length) return false;
  for (let i = 0; i < segment.length; i++) {
    if (segment[i] !== '?' && segment[i] !== value[start + i]) return false;
  }
  return true;
}

/** The first position from `from` where `segment` matches and ends at or before `end`, or -1. */
function indexOfSegment(segment: string, value: string, from: number, end: number): number {
  for (let start = from; start + segment.length <= end; start++) {
    if (segmentAt(segment, value, start)) return start;
  }
  return -1;
}
