import { describe, expect, it } from 'vitest';
import { collabSocketUrl } from './collab-url';

describe('collabSocketUrl', () => {
  it('uses ws on http, keeping the port', () => {
    expect(collabSocketUrl({ protocol: 'http:', host: '127.0.0.1:8000' })).toBe('ws://127.0.0.1:8000/trpc');
  });

  it('uses wss on https', () => {
    expect(collabSocketUrl({ protocol: 'https:', host: 'docs.example.com' })).toBe(
      'wss://docs.example.com/trpc',
    );
  });
});
