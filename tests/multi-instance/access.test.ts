/**
 * Access changes made on one instance reach live streams on another [A3] [S4]: instances share access
 * records through storage and re-read them within seconds, so a revoked link ends a stream anywhere.
 */
import { describe, expect, it } from 'vitest';
import { browserSession, wsApiAs } from '../support/principals.js';
import { feedFailure, followChanges } from '../support/trpc.js';
import { useCluster } from './support.js';

describe('access across instances', () => {
  const suite = useCluster('sqlite', 2);

  it('[A3] [S4] a link revoked through instance A ends the stream it opened on instance B', async () => {
    const [a, b] = suite.cluster.instances;
    if (!a || !b) throw new Error('the cluster did not start');
    const owner = await browserSession(a.httpUrl);
    const viewer = await browserSession(b.httpUrl);
    const onA = wsApiAs(a.wsUrl, { cookie: owner.cookie });
    const onB = wsApiAs(b.wsUrl, { cookie: viewer.cookie });
    try {
      const id = 'cross-instance-revoke';
      await onA.api.documents.getOrCreate.mutate({ id });
      await onA.api.access.setGeneralAccess.mutate({ id, generalAccess: 'restricted' });
      const key = (await onA.api.access.rotateLink.mutate({ id, role: 'viewer' })).links?.viewer as string;
      const feed = followChanges(onB.api, { id, key, sinceVersion: 0 });
      await feed.started;
      expect(feed.error()).toBeUndefined();
      await onA.api.access.revokeLink.mutate({ id, role: 'viewer' });
      expect(await feedFailure(feed)).toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      onA.close();
      onB.close();
    }
  });
});
