/**
 * Every pinned version of the deployment, in one place. Change a version here and both
 * targets (Docker and the local stack) follow.
 */
export const IMAGES = {
  /** Kong OSS, DB-less; Curity's phantom-token plugin is installed on top (infra/kong/Dockerfile). */
  kong: 'kong:3.9.1',
  /**
   * Curity's published Kong plugin, from LuaRocks (rock version: release and rockspec revision). Its
   * rockspec asks for lua-resty-http >= 0.16.1 and lua-resty-jwt >= 0.2.3: the first is Kong's own
   * (3.9.1 pins 0.17.2), the second is installed at the exact version below, and nothing floats.
   */
  kongPhantomTokenPlugin: '2.0.1-1',
  /** The plugin's JWT library (its one dependency Kong does not bundle); needs lua-resty-openssl, which Kong bundles. */
  luaRestyJwt: '0.2.3-0',
  /** Curity's tags are the plain release version; 11.x supports Client ID Metadata Documents (ephemeral clients). */
  curity: 'curity.azurecr.io/curity/idsvr:11.3.1',
  /** The npm package in devDependencies is pinned to the same version: one mail API everywhere. */
  maildev: 'maildev/maildev:2.2.1',
  /**
   * The official PostgreSQL image: the built-in authorization server's and Curity's database. 17 keeps
   * its data under /var/lib/postgresql/data (18 moved it).
   */
  postgres: 'postgres:17.5-bookworm',
  /** Base image of the services built from this repository. */
  node: 'node:22.21.1-bookworm-slim',
} as const;
