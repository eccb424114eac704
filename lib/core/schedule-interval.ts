/**
 * The longest gap between two runs of an EventBridge Scheduler expression, in seconds: what the
 * "renewal did not run" alarm waits for (twice, plus the flexible window) before it fires.
 * Pure and conservative: anything it cannot read exactly (day-of-month or weekday fields, odd
 * minute lists) counts as a week, the longest an alarm can look back.
 */
export const WEEK_SECONDS = 7 * 86_400;

const UNIT_SECONDS: Record<string, number> = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86_400, days: 86_400 };

export function scheduleIntervalSeconds(expression: string): number {
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression.trim());
  if (rate !== null) return Math.min(Number(rate[1]) * UNIT_SECONDS[rate[2]!]!, WEEK_SECONDS);
  const cron = /^cron\(([^()]+)\)$/.exec(expression.trim());
  if (cron === null) return WEEK_SECONDS;
  const [minutes, hours, dayOfMonth, , dayOfWeek] = cron[1]!.trim().split(/\s+/);
  if (!['*', '?'].includes(dayOfMonth ?? '') || !['*', '?'].includes(dayOfWeek ?? '')) return WEEK_SECONDS;
  if (!/^\d+$/.test(minutes ?? '')) return minutes === '*' || minutes?.startsWith('*/') || minutes?.includes(',') ? 3600 : WEEK_SECONDS;
  const runHours = expandHours(hours ?? '');
  if (runHours === undefined || runHours.length === 0) return WEEK_SECONDS;
  let longest = 0;
  for (let i = 0; i < runHours.length; i++) {
    const next = i + 1 < runHours.length ? runHours[i + 1]! : runHours[0]! + 24;
    longest = Math.max(longest, next - runHours[i]!);
  }
  return longest * 3600;
}

/** Hours of a cron hour field (`*`, `*\/N`, `A-B`, `A,B`, `A/N`), sorted; undefined when unreadable. */
function expandHours(field: string): number[] | undefined {
  const hours = new Set<number>();
  for (const part of field.split(',')) {
    const step = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (step === null) return undefined;
    const [from, to] = step[1] === '*' ? [0, 23] : step[1]!.includes('-') ? (step[1]!.split('-').map(Number) as [number, number]) : [Number(step[1]), step[2] === undefined ? Number(step[1]) : 23];
    const by = step[2] === undefined ? 1 : Number(step[2]);
    if (by < 1 || from > 23 || to > 23 || from > to) return undefined;
    for (let hour = from; hour <= to; hour += by) hours.add(hour);
  }
  return [...hours].sort((a, b) => a - b);
}
