import { describe, expect, it } from 'vitest';
import { formatRelativeTime } from './relative-time';

const now = new Date(2025, 5, 15, 12, 0, 0).getTime();
const minutes = (n: number) => now - n * 60_000;

describe('formatRelativeTime', () => {
  it('says just now within a minute, and for clocks slightly ahead', () => {
    expect(formatRelativeTime(now - 30_000, now, 'en')).toBe('Just now');
    expect(formatRelativeTime(now + 5_000, now, 'en')).toBe('Just now');
  });

  it('counts minutes and hours', () => {
    expect(formatRelativeTime(minutes(1), now, 'en')).toBe('1 minute ago');
    expect(formatRelativeTime(minutes(45), now, 'en')).toBe('45 minutes ago');
    expect(formatRelativeTime(minutes(60 * 5), now, 'en')).toBe('5 hours ago');
  });

  it('counts calendar days', () => {
    expect(formatRelativeTime(new Date(2025, 5, 14, 9, 0).getTime(), now, 'en')).toBe('Yesterday');
    expect(formatRelativeTime(new Date(2025, 5, 11, 9, 0).getTime(), now, 'en')).toBe('4 days ago');
  });

  it('shows a date for older times, with the year only when it differs', () => {
    expect(formatRelativeTime(new Date(2025, 2, 3).getTime(), now, 'en-US')).toBe('Mar 3');
    expect(formatRelativeTime(new Date(2023, 2, 3).getTime(), now, 'en-US')).toBe('Mar 3, 2023');
  });
});
