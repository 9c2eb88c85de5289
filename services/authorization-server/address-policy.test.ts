import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressProblem, classifyAddress, embeddedIpv4 } from './address-policy.ts';

const strict = { allowLoopback: false, allowPrivateNetworks: false };
const development = { allowLoopback: true, allowPrivateNetworks: true };

describe('classifyAddress', () => {
  it('allows public addresses of both families', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])
      assert.equal(classifyAddress(a), 'public', a);
  });

  it('tells loopback and private networks apart from what is never allowed', () => {
    assert.equal(classifyAddress('127.0.0.1'), 'loopback');
    assert.equal(classifyAddress('::1'), 'loopback');
    for (const a of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', 'fd00::1']) assert.equal(classifyAddress(a), 'private', a);
    for (const a of [
      '169.254.169.254',
      '0.0.0.0',
      '192.0.0.1',
      '192.88.99.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      'fe80::1',
      'ff02::1',
    ]) {
      assert.equal(classifyAddress(a), 'forbidden', a);
    }
    assert.equal(classifyAddress('not an address'), 'forbidden');
  });

  it('judges IPv4-mapped addresses by the IPv4 address they map', () => {
    assert.equal(classifyAddress('::ffff:127.0.0.1'), 'loopback');
    assert.equal(classifyAddress('::ffff:a9fe:a9fe'), 'forbidden');
    assert.equal(classifyAddress('::ffff:10.0.0.1'), 'private');
  });

  it('refuses the deprecated IPv4-compatible range (::/96), whatever it carries', () => {
    for (const a of ['::', '::127.0.0.1', '::a9fe:a9fe', '::8.8.8.8', '::10.0.0.1']) assert.equal(classifyAddress(a), 'forbidden', a);
  });

  it('judges NAT64, 6to4 and Teredo addresses by the IPv4 address they carry', () => {
    // NAT64 64:ff9b::/96
    assert.equal(classifyAddress('64:ff9b::a9fe:a9fe'), 'forbidden', 'cloud metadata through NAT64');
    assert.equal(classifyAddress('64:ff9b::10.0.0.1'), 'private');
    assert.equal(classifyAddress('64:ff9b::8.8.8.8'), 'public');
    // 6to4 2002::/16
    assert.equal(classifyAddress('2002:a9fe:a9fe::1'), 'forbidden');
    assert.equal(classifyAddress('2002:c0a8:0101::1'), 'private');
    assert.equal(classifyAddress('2002:0808:0808::1'), 'public');
    // Teredo 2001::/32: the client address is the last 32 bits, inverted (169.254.169.254 → 5601:5601).
    assert.equal(embeddedIpv4('2001:0:4136:e378:8000:63bf:5601:5601'), '169.254.169.254');
    assert.equal(classifyAddress('2001:0:4136:e378:8000:63bf:5601:5601'), 'forbidden');
  });

  it('never treats a tunnelled loopback address as this machine, even where loopback is allowed', () => {
    for (const a of ['64:ff9b::7f00:1', '2002:7f00:0001::1', '2001:0:4136:e378:8000:63bf:80ff:fffe']) {
      assert.equal(classifyAddress(a), 'forbidden', a);
      assert.ok(addressProblem(a, development), a);
    }
  });

  it('refuses the other special-purpose IPv6 ranges', () => {
    for (const a of ['64:ff9b:1::1', '100::1', '100:0:0:1::1', '2001:2::1', '2001:db8::1', '3fff::1', '5f00::1', 'fec0::1']) {
      assert.equal(classifyAddress(a), 'forbidden', a);
    }
  });
});

describe('addressProblem', () => {
  it('allows loopback and private networks only when configured, and names the address', () => {
    assert.match(addressProblem('127.0.0.1', strict)!, /127\.0\.0\.1 is a loopback address/);
    assert.equal(addressProblem('127.0.0.1', development), undefined);
    assert.match(addressProblem('10.0.0.1', strict)!, /private/);
    assert.equal(addressProblem('10.0.0.1', development), undefined);
    assert.match(addressProblem('169.254.169.254', development)!, /reserved or link-local/);
    assert.equal(addressProblem('8.8.8.8', strict), undefined);
  });
});
