/**
 * Starts maildev 2.2.1 (the development mail inbox) in this process on ephemeral loopback ports,
 * for tests. maildev keeps its state in module scope: one instance per process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export interface Maildev {
  smtp: { host: string; port: number };
  /** Base URL of maildev's REST API, e.g. http://127.0.0.1:1080 (`GET /email` lists the mail). */
  apiUrl: string;
  close(): Promise<void>;
}

interface MaildevServer {
  listen(): Promise<void>;
  close(callback: () => void): void;
  smtp: { server: { address(): AddressInfo } };
}

export async function startMaildev(): Promise<Maildev> {
  const MailDev = require('maildev') as new (options: Record<string, unknown>) => MaildevServer;
  const web = require('maildev/lib/web') as { server: Server };
  const mailDirectory = await mkdtemp(join(tmpdir(), 'maildev-test-'));
  // maildev reads port 0 as "use the default", but the string '0' reaches listen() as port 0.
  const maildev = new MailDev({ smtp: '0', web: '0', ip: '127.0.0.1', silent: true, mailDirectory });
  await maildev.listen();
  if (!web.server.listening) await new Promise((resolve) => web.server.once('listening', resolve));
  const smtpPort = maildev.smtp.server.address().port;
  const webPort = (web.server.address() as AddressInfo).port;
  return {
    smtp: { host: '127.0.0.1', port: smtpPort },
    apiUrl: `http://127.0.0.1:${webPort}`,
    async close() {
      await new Promise<void>((resolve) => maildev.close(() => resolve()));
      await rm(mailDirectory, { recursive: true, force: true });
    },
  };
}
