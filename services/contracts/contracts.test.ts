import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  authorizationServerMetadataUrl,
  basicAuthorization,
  parseBasicAuthorization,
  protectedResourceMetadataUrl,
  tokenHash,
} from './index.ts';

describe('protectedResourceMetadataUrl', () => {
  it('drops the terminating slash of the resource (RFC 9728 §3.1)', () => {
    assert.equal(
      protectedResourceMetadataUrl('https://mcp.demo.example/').href,
      'https://mcp.demo.example/.well-known/oauth-protected-resource',
    );
  });
  it('inserts the well-known path before a resource path', () => {
    assert.equal(
      protectedResourceMetadataUrl('http://localhost:3001/mcp').href,
      'http://localhost:3001/.well-known/oauth-protected-resource/mcp',
    );
  });
});

describe('authorizationServerMetadataUrl', () => {
  it("inserts the well-known path before the issuer's path (RFC 8414 §3.1)", () => {
    assert.equal(
      authorizationServerMetadataUrl('https://login.demo.example/oauth/v2/oauth-anonymous').href,
      'https://login.demo.example/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous',
    );
  });
});

describe('basicAuthorization', () => {
  it('form-encodes id and secret before base64 (RFC 6749 §2.3.1)', () => {
    const header = basicAuthorization('my client', 'a:b+c%d~');
    assert.equal(Buffer.from(header.slice('Basic '.length), 'base64').toString(), 'my+client:a%3Ab%2Bc%25d%7E');
  });
  it('round-trips through parseBasicAuthorization', () => {
    assert.deepEqual(parseBasicAuthorization(basicAuthorization('my client', 'a:b+c%d~ é')), {
      clientId: 'my client',
      clientSecret: 'a:b+c%d~ é',
    });
  });
  it('parses plain credentials that other clients send unencoded', () => {
    assert.deepEqual(parseBasicAuthorization(`Basic ${Buffer.from('gateway:s3cret').toString('base64')}`), {
      clientId: 'gateway',
      clientSecret: 's3cret',
    });
  });
  it('tells "not Basic" (undefined) from "Basic but malformed" (null)', () => {
    assert.equal(parseBasicAuthorization(undefined), undefined);
    assert.equal(parseBasicAuthorization('Bearer abc'), undefined);
    assert.equal(parseBasicAuthorization('Basic !!!'), null);
    assert.equal(parseBasicAuthorization(`Basic ${Buffer.from('no-colon').toString('base64')}`), null);
    assert.equal(parseBasicAuthorization(`Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`), null);
  });
});

describe('tokenHash', () => {
  it('is SHA-256 in base64url, as the hashes already in databases were made (FIPS 180-2 vector "abc")', () => {
    assert.equal(tokenHash('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('hashes the UTF-8 bytes (not Latin-1), as the stored hashes of secrets outside ASCII were made', () => {
    // SHA-256 of the bytes C3 A9, "é" in UTF-8.
    assert.equal(tokenHash('é'), 'SplVfkAzw1Od4utlRyAXytX5VX96BiWgnxw_biumnEw');
  });
});
