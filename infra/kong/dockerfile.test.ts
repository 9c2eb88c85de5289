import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { kongBuildArgs } from '../docker/kong.ts';
import { buildModel, parseStackConfig } from '../model.ts';

const dockerfile = readFileSync(new URL('./Dockerfile', import.meta.url), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trim().startsWith('#'));
const model = buildModel(
  parseStackConfig({ domain: 'demo.example', scope: 'stocks/read', users: [{ email: 'a@demo.example', region: 'USA' }] }),
);

test('the Kong image is built only from versions the deployment passes in', () => {
  const args = instructions.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4).trim());
  assert.deepEqual(args.sort(), Object.keys(kongBuildArgs(model)).sort());
  assert.deepEqual(
    instructions.filter((l) => l.startsWith('FROM ')),
    ['FROM ${KONG_IMAGE}'],
  );
  for (const value of Object.values(kongBuildArgs(model))) assert.match(value, /\d+\.\d+\.\d+/, 'exact versions');
});

test('every Lua module is installed at an exact version and LuaRocks resolves no dependency itself', () => {
  const installs = [...instructions.join('\n').matchAll(/luarocks install (\S+) (\S+)([^&\n]*)/g)].map((m) => ({
    rock: m[1],
    version: m[2],
    rest: m[3] ?? '',
  }));
  assert.deepEqual(
    installs.map((i) => [i.rock, i.version]),
    [
      ['lua-resty-jwt', '"${LUA_RESTY_JWT_VERSION}"'],
      ['kong-phantom-token', '"${PHANTOM_TOKEN_VERSION}"'],
    ],
  );
  for (const install of installs) assert.match(install.rest, /--deps-mode=none/, install.rock);
  assert.doesNotMatch(instructions.join('\n'), />=|:latest|luarocks make/);
});
