import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyEntry, TrustedProxies } from './trusted-proxies.ts';

test('entries are addresses, CIDR ranges or host names; anything else is refused', () => {
  assert.deepEqual(parseProxyEntry('10.0.0.5'), { kind: 'address', address: '10.0.0.5', family: 'ipv4' });
  assert.deepEqual(parseProxyEntry(' fd00::/8 '), { kind: 'subnet', network: 'fd00::', prefix: 8, family: 'ipv6' });
  assert.deepEqual(parseProxyEntry('Gateway-Pods'), { kind: 'name', name: 'gateway-pods' });
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0/8', 'http://gateway', 'gate way', '', '10.0.0.1/x', '999.1.1.1']) {
    assert.equal(parseProxyEntry(bad), undefined, bad);
  }
  assert.throws(() => new TrustedProxies(['10.0.0.0/33']), /Trusted proxy "10\.0\.0\.0\/33" must be an IP address/);
});

test('a peer that is not a trusted proxy is the client, whatever X-Forwarded-For says', () => {
  const trusted = new TrustedProxies(['10.0.0.5']);
  assert.equal(trusted.clientAddress('192.0.2.7', '198.51.100.1'), '192.0.2.7');
  assert.equal(trusted.clientAddress('192.0.2.7', '10.0.0.5'), '192.0.2.7');
  assert.equal(new TrustedProxies([]).clientAddress('10.0.0.5', '198.51.100.1'), '10.0.0.5');
});

test('from a trusted proxy, the client is the rightmost X-Forwarded-For entry that is not a trusted proxy', () => {
  const trusted = new TrustedProxies(['10.0.0.5', '10.1.0.0/16', '::1']);
  assert.equal(trusted.clientAddress('10.0.0.5', '203.0.113.9, 198.51.100.1'), '198.51.100.1', 'not what the client wrote first');
  assert.equal(trusted.clientAddress('10.0.0.5', '203.0.113.9, 198.51.100.1, 10.1.2.3'), '198.51.100.1', 'past a trusted ingress');
  assert.equal(trusted.clientAddress('10.0.0.5', '10.1.2.3'), '10.1.2.3', 'all trusted: the furthest');
  assert.equal(trusted.clientAddress('10.0.0.5', undefined), '10.0.0.5');
  assert.equal(trusted.clientAddress('10.0.0.5', ' , '), '10.0.0.5');
  assert.equal(trusted.clientAddress('10.0.0.5', 'garbage, 10.1.2.3'), '10.1.2.3', 'a malformed entry ends the walk');
  assert.equal(trusted.clientAddress('::ffff:10.0.0.5', '::ffff:198.51.100.1'), '198.51.100.1', 'IPv4 written as IPv6 is IPv4');
  assert.equal(trusted.clientAddress('::1', '2001:db8::1'), '2001:db8::1');
});

test('host names are resolved, and again once their answer is older than refreshMs', async () => {
  let now = 0;
  let addresses = ['10.9.0.1'];
  let lookups = 0;
  const trusted = new TrustedProxies(['api-gateway'], {
    resolve: async (name) => {
      lookups++;
      assert.equal(name, 'api-gateway');
      return addresses;
    },
    refreshMs: 10_000,
    now: () => now,
  });
  await trusted.refresh();
  assert.equal(trusted.clientAddress('10.9.0.1', '198.51.100.1'), '198.51.100.1');
  assert.equal(trusted.clientAddress('10.9.0.2', '198.51.100.1'), '10.9.0.2');
  const before = lookups;
  // The gateway restarted elsewhere: its new address is trusted after the next resolution, the old one no longer.
  addresses = ['10.9.0.2'];
  now = 5_000;
  trusted.trusts('10.9.0.2');
  assert.equal(lookups, before, 'not resolved again within refreshMs');
  now = 10_001;
  trusted.trusts('10.9.0.2');
  await trusted.refresh();
  assert.equal(trusted.clientAddress('10.9.0.2', '198.51.100.1'), '198.51.100.1');
  assert.equal(trusted.clientAddress('10.9.0.1', '198.51.100.1'), '10.9.0.1');
});

test('a name that never resolved trusts nothing; one that stops resolving keeps its last addresses', async () => {
  let dns: 'up' | 'down' = 'down';
  const trusted = new TrustedProxies(['api-gateway'], {
    resolve: async () => {
      if (dns === 'down') throw new Error('ENOTFOUND');
      return ['10.9.0.1'];
    },
  });
  await trusted.refresh();
  assert.equal(trusted.clientAddress('10.9.0.1', '198.51.100.1'), '10.9.0.1');
  dns = 'up';
  await trusted.refresh();
  assert.equal(trusted.clientAddress('10.9.0.1', '198.51.100.1'), '198.51.100.1');
  dns = 'down';
  await trusted.refresh();
  assert.equal(trusted.clientAddress('10.9.0.1', '198.51.100.1'), '198.51.100.1');
});
