/**
 * The deployment's PostgreSQL server as both targets set it up: one database and one role per
 * application (the built-in authorization server, Curity), each role with its own password, created
 * by a psql script that is safe to run again on every deployment. Pure, so it is tested against a
 * real server.
 */

/** The databases of the stack; each is also the name of the role that owns it. */
export const DATABASES = {
  authorizationServer: 'authorization_server',
  curity: 'curity',
} as const;
export type DatabaseName = (typeof DATABASES)[keyof typeof DATABASES];

/** The port PostgreSQL listens on in every target. */
export const POSTGRES_PORT = 5432;

/** The environment variable that carries a database role's password into the init script. */
export function passwordVariable(database: string): string {
  return `DB_PASSWORD_${database.toUpperCase()}`;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A psql script that creates each database and its owning role when missing and sets the role's
 * password from the environment (psql's `\getenv`), so passwords never appear in the script. Run
 * with `psql -v ON_ERROR_STOP=1` (a missing password then stops it with an error); running it again changes nothing but the passwords.
 */
export function databaseInitScript(databases: readonly string[]): string {
  const lines = ['-- Creates the databases of the stack and their roles; safe to run again.'];
  for (const name of databases) {
    if (!IDENTIFIER.test(name)) throw new Error(`databaseInitScript: "${name}" is not a plain lower-case PostgreSQL identifier`);
    const variable = passwordVariable(name);
    lines.push(
      `\\getenv password ${variable}`,
      // \getenv leaves the variable unset when the environment lacks it: stop rather than set no password.
      `\\if :{?password}`,
      `\\else`,
      `  DO $$ BEGIN RAISE EXCEPTION 'The environment variable ${variable} is not set: it holds the password of the role ${name}.'; END $$;`,
      `\\endif`,
      `SELECT 'CREATE ROLE ${name} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${name}') \\gexec`,
      `ALTER ROLE ${name} WITH LOGIN PASSWORD :'password';`,
      `SELECT 'CREATE DATABASE ${name} OWNER ${name}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${name}') \\gexec`,
      // Only the owner (and the superuser) may connect.
      `REVOKE ALL ON DATABASE ${name} FROM PUBLIC;`,
      `\\unset password`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A PostgreSQL connection URL with the user and password encoded. */
export function postgresUrl(options: { host: string; port: number; database: string; user: string; password: string }): string {
  const url = new URL(`postgres://${options.host}:${options.port}/`);
  url.username = options.user;
  url.password = options.password;
  url.pathname = `/${options.database}`;
  return url.href;
}
