import { limitDefaults } from '@collab/protocol';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TrpcContext } from '../../src/trpc/context.js';
import { publicProcedure, router } from '../../src/trpc/init.js';
import { turnsDuring } from '../support/eventLoop.js';

/*
 * [L1] The input guard measures every input before it is validated; an input over 256 KB (a large paste)
 * then lets the event loop turn before its validation, so other requests run between the two.
 */
const api = router({ short: publicProcedure.input(z.string().max(10)).mutation(() => 'ok') });
// The guard reads only the limits from the context.
const caller = api.createCaller({ limits: limitDefaults } as unknown as TrpcContext);

describe('input guard [L1]', () => {
  it('[L1] an input over 256 KB lets the event loop turn between its parse and its validation', async () => {
    const large = 'x'.repeat(300 * 1024);
    await expect(caller.short(large)).rejects.toThrow(/Too big/);
    expect(await turnsDuring(() => caller.short(large).catch(() => undefined))).toBeGreaterThan(0);
  });

  it('[L1] a small input is validated in the same turn', async () => {
    await expect(caller.short('x'.repeat(11))).rejects.toThrow(/Too big/);
    expect(await turnsDuring(() => caller.short('x'.repeat(11)).catch(() => undefined))).toBe(0);
  });
});
