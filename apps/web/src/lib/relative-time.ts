const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "Just now", "5 minutes ago", "yesterday", "3 days ago", then a date: when something last happened. */
export function formatRelativeTime(then: number, now: number, locale?: string): string {
  const elapsed = Math.max(0, now - then);
  if (elapsed < MINUTE) return 'Just now';
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (elapsed < HOUR) return capitalise(relative.format(-Math.floor(elapsed / MINUTE), 'minute'));
  if (elapsed < DAY) return capitalise(relative.format(-Math.floor(elapsed / HOUR), 'hour'));
  const days = calendarDaysBetween(then, now);
  if (days < 7) return capitalise(relative.format(-Math.max(1, days), 'day'));
  const date = new Date(then);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(locale, {
    month: 'short',
    day: 'numeric',
    year: sameYear ? undefined : 'numeric',
  });
}

function calendarDaysBetween(then: number, now: number): number {
  const start = new Date(then);
  const end = new Date(now);
  const startDay = Date.UTC(start.getFullYear(), start.getMonth(), start.getDate());
  const endDay = Date.UTC(end.getFullYear(), end.getMonth(), end.getDate());
  return Math.round((endDay - startDay) / DAY);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
