/**
 * The model's users as Curity accounts in Curity's PostgreSQL schema: a Liquibase changelog that
 * Curity's own `idsvr -L` applies in the init step, after `idsvr -I` created the schema. The email
 * authenticator finds users by username (the email); registration is off, so only these exist.
 *
 * Converging rather than inserting: one changeset that runs on every init step upserts each model
 * user (by a stable account id) and deletes the accounts this deployment created earlier whose
 * users left the model. Running it twice changes nothing; a changed list adds and removes exactly
 * the users that changed. Accounts created by other means (the admin UI) are left alone.
 */
import { createHash } from 'node:crypto';
import { create } from 'xmlbuilder2';
import type { Model } from '../model.ts';

export const USERS_CHANGELOG_DIR = '/opt/idsvr/etc/liquibase';
export const USERS_CHANGELOG_FILE = 'model-users.xml';
export const USERS_CHANGELOG_PATH = `${USERS_CHANGELOG_DIR}/${USERS_CHANGELOG_FILE}`;

/** The table and columns of Curity's PostgreSQL schema (postgres-create_database.sql) the changelog writes. */
export const ACCOUNTS_TABLE = 'accounts';
export const ACCOUNT_COLUMNS = ['account_id', 'username', 'active', 'attributes', 'created', 'updated'] as const;

/** Marks the accounts this deployment manages, so that only those are ever deleted. */
export const MANAGED_BY = { attribute: 'managed_by', value: 'mcp-secured-api' } as const;

const LIQUIBASE_NS = 'http://www.liquibase.org/xml/ns/dbchangelog';
const AUTHOR = 'mcp-secured-api';

/** A stable account id per email (UUID-shaped), so the same user is always the same row. */
export function accountId(email: string): string {
  const h = createHash('sha256').update(`account:${email.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A PostgreSQL string literal: quotes doubled, so any region text is data, never SQL. */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** What Curity stores for a model user: SCIM-style emails plus the region the API authorises with. */
export function accountAttributes(user: { email: string; region: string }): Record<string, unknown> {
  return {
    emails: [{ value: user.email, primary: true }],
    region: user.region,
    [MANAGED_BY.attribute]: MANAGED_BY.value,
  };
}

/** The two statements of the changeset, in order: upsert the model's users, delete the departed. */
export function usersSql(model: Model): string[] {
  const users = model.users.map((u) => ({ email: u.email.toLowerCase(), region: u.region }));
  const now = 'CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)';
  const rows = users.map(
    (u) =>
      `(${literal(accountId(u.email))}, ${literal(u.email)}, 1, ${literal(JSON.stringify(accountAttributes(u)))}::jsonb, ${now}, ${now})`,
  );
  const marker = `attributes->>${literal(MANAGED_BY.attribute)} = ${literal(MANAGED_BY.value)}`;
  return [
    // An unchanged user keeps its row untouched (created, updated and all).
    `INSERT INTO ${ACCOUNTS_TABLE} (${ACCOUNT_COLUMNS.join(', ')})\nVALUES\n  ${rows.join(',\n  ')}\n` +
      `ON CONFLICT (account_id) DO UPDATE SET username = EXCLUDED.username, active = 1, attributes = EXCLUDED.attributes, updated = EXCLUDED.updated\n` +
      `WHERE ${ACCOUNTS_TABLE}.username IS DISTINCT FROM EXCLUDED.username OR ${ACCOUNTS_TABLE}.active <> 1 OR ${ACCOUNTS_TABLE}.attributes IS DISTINCT FROM EXCLUDED.attributes`,
    `DELETE FROM ${ACCOUNTS_TABLE}\nWHERE ${marker}\n  AND account_id NOT IN (${users.map((u) => literal(accountId(u.email))).join(', ')})`,
  ];
}

export function generateUsersChangelog(model: Model): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele(LIQUIBASE_NS, 'databaseChangeLog');
  // runAlways: every init step converges the accounts to the model; runOnChange: a changed user
  // list is the same changeset with new content, which Liquibase would otherwise refuse.
  const changeSet = doc.ele('changeSet', { id: 'model-users', author: AUTHOR, runAlways: 'true', runOnChange: 'true' });
  changeSet.ele('comment').txt('The users of the deployment model; generated, edit the model instead.');
  for (const statement of usersSql(model)) {
    // One statement per element, not split on semicolons (a region may contain one).
    changeSet.ele('sql', { dbms: 'postgresql', splitStatements: 'false', stripComments: 'false' }).txt(statement);
  }
  return doc.end({ prettyPrint: true });
}
