import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IntrospectionResult } from './introspection.ts';
import { makeJwt } from '../../test/support/gateway-peers.ts';
import { PhantomTokenCache } from './token-cache.ts';

const inactive = async (): Promise<IntrospectionResult> => ({ status: 204 });

describe('PhantomTokenCache', () => {
  it('stays empty under tens of thousands of distinct bogus tokens', async () => {
    const cache = new PhantomTokenCache({ maxEntries: 1000 });
    for (let batch = 0; batch < 50; batch++) {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => cache.resolve('s', `bogus-${batch}-${i}`, 300, inactive)));
    }
    assert.equal(cache.size, 0);
    assert.equal(cache.pending, 0);
    assert.equal(cache.introspections, 50_000);
  });

  it('holds at most maxEntries successes, dropping the least recently used', async () => {
    const cache = new PhantomTokenCache({ maxEntries: 100 });
    const jwt = await makeJwt({ scope: 'x' });
    for (let i = 0; i < 1000; i++) await cache.resolve('s', `good-${i}`, 300, async () => ({ status: 200, jwt, maxAge: 300 }));
    assert.equal(cache.size, 100);
    let again = 0;
    await cache.resolve('s', 'good-999', 300, async () => (again++, { status: 200, jwt, maxAge: 300 }));
    await cache.resolve('s', 'good-0', 300, async () => (again++, { status: 200, jwt, maxAge: 300 }));
    assert.equal(again, 1, 'the newest is still cached, the oldest was evicted');
  });

  it('shares one introspection between concurrent misses for the same token', async () => {
    const cache = new PhantomTokenCache();
    const jwt = await makeJwt({});
    let calls = 0;
    const slow = async (): Promise<IntrospectionResult> => {
      calls++;
      await new Promise((r) => setTimeout(r, 50));
      return { status: 200, jwt, maxAge: undefined };
    };
    const results = await Promise.all(Array.from({ length: 25 }, () => cache.resolve('s', 'same', 300, slow)));
    assert.equal(calls, 1);
    assert.ok(results.every((r) => 'jwt' in r && r.jwt === jwt));
  });

  it("does not cache past the JWT's own expiry, nor with max-age=0", async () => {
    const cache = new PhantomTokenCache();
    const expired = await makeJwt({}, '-1s');
    await cache.resolve('s', 'expired', 300, async () => ({ status: 200, jwt: expired, maxAge: undefined }));
    await cache.resolve('s', 'zero', 300, async () => ({ status: 200, jwt: await makeJwt({}), maxAge: 0 }));
    assert.equal(cache.size, 0);
  });
});
