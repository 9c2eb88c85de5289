/**
 * The model's users as Curity accounts: a Liquibase changelog that Curity's own `idsvr -L`
 * applies to its embedded database before the server starts. The email authenticator finds
 * users by username (the email); only these accounts exist, and registration is off.
 */
import { createHash } from 'node:crypto';
import { create } from 'xmlbuilder2';
import type { Model } from '../model.ts';

export const USERS_CHANGELOG_DIR = '/opt/idsvr/etc/liquibase';
export const USERS_CHANGELOG_FILE = 'model-users.xml';
export const USERS_CHANGELOG_PATH = `${USERS_CHANGELOG_DIR}/${USERS_CHANGELOG_FILE}`;

/** The embedded HSQLDB shipped in the image, for the server and for the seeding command. */
export const EMBEDDED_DB = {
  url: 'jdbc:hsqldb:file:/opt/idsvr/var/db/db;hsqldb.lock_file=false',
  driver: 'org.hsqldb.jdbc.JDBCDriver',
  username: 'sa',
} as const;

const LIQUIBASE_NS = 'http://www.liquibase.org/xml/ns/dbchangelog';

/** A stable account id per email, so the same model gives the same changelog. */
function accountId(email: string): string {
  const h = createHash('sha256').update(`account:${email}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function generateUsersChangelog(model: Model): string {
  const users = model.users.map((u) => ({ email: u.email.toLowerCase(), region: u.region }));
  // The changeset id follows the users, so a changed list is a new changeset.
  const digest = createHash('sha256').update(JSON.stringify(users)).digest('hex').slice(0, 12);
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele(LIQUIBASE_NS, 'databaseChangeLog', {
    objectQuotingStrategy: 'QUOTE_ALL_OBJECTS',
  });
  const changeSet = doc.ele('changeSet', { id: `model-users-${digest}`, author: 'mcp-secured-api' });
  for (const user of users) {
    const attributes = { emails: [{ value: user.email, primary: true }], region: user.region };
    const insert = changeSet.ele('insert', { tableName: 'accounts' });
    const column = (name: string, type: string, value: string) => insert.ele('column', { name, type }).txt(value);
    column('account_id', 'varchar', accountId(user.email));
    column('username', 'varchar', user.email);
    column('email', 'varchar', user.email);
    column('active', 'smallint', '1');
    column('attributes', 'text', JSON.stringify(attributes));
    column('created', 'bigint', '0');
    column('updated', 'bigint', '0');
  }
  return doc.end({ prettyPrint: true });
}
