import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, type LogLevel } from './index.ts';

function capture() {
  const lines: { level: LogLevel; entry: Record<string, unknown>; raw: string }[] = [];
  const log = createLogger({ write: (raw, level) => lines.push({ level, entry: JSON.parse(raw) as Record<string, unknown>, raw }) });
  return { log, lines };
}

test('one JSON object a line: level, message and the fields, without the service name', () => {
  const { log, lines } = capture();
  log.info('listening on port 9100', { port: 9100 });
  log.error('could not send the code', { reason: 'ECONNREFUSED' });
  assert.deepEqual(
    lines.map(({ level, entry }) => ({ level, entry })),
    [
      { level: 'info', entry: { level: 'info', message: 'listening on port 9100', port: 9100 } },
      { level: 'error', entry: { level: 'error', message: 'could not send the code', reason: 'ECONNREFUSED' } },
    ],
  );
});

test('credentials never reach a line, in the message or in a field', () => {
  const { log, lines } = capture();
  const jwt = 'eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJqb2huIn0.c2lnbmF0dXJl';
  log.error(`upstream said: Authorization: Bearer opaque-123 and ${jwt}`, {
    header: 'Basic dXNlcjpwYXNz',
    client_secret: 's3cret',
    token: 'opaque-456',
    refresh_token: 'r-789',
    authorization: 'anything',
    nested: 1,
  });
  const { raw, entry } = lines[0]!;
  for (const secret of ['opaque-123', jwt, 'dXNlcjpwYXNz', 's3cret', 'opaque-456', 'r-789', 'anything']) {
    assert.ok(!raw.includes(secret), `${secret} was logged: ${raw}`);
  }
  assert.equal(entry.message, 'upstream said: Authorization: Bearer [redacted] and [jwt]');
  assert.equal(entry.nested, 1);
});
