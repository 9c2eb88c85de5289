/**
 * Code mails leave through a bounded queue, after the answer: the sign-in page answers first and
 * the mail is sent from the queue on a later turn of the event loop, so an address that may sign
 * in is not slower to answer than one that may not (the time nodemailer takes to start a send
 * told them apart). A send that fails for a reason that may pass (no connection, a 4xx reply) is
 * tried again after a growing, jittered delay; a permanent refusal (5xx) is not. The queue holds
 * a bounded number of mails: when it is full, a new code is not sent (the user can ask for
 * another) and the log says so, once per spell of being full. A new code for a sign-in replaces
 * the mail of its last one if that is still waiting or waiting to be tried again: the old code no
 * longer works, and arriving after the new one it would only mislead. Logs never carry a code or
 * an address.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from './context.ts';
import type { CodeMail, CodeMailer } from './mailer.ts';

export interface MailQueueOptions {
  /** Mails held at most: waiting, being sent, or waiting to be tried again. */
  maxLength?: number;
  /** Sends in progress at once. */
  concurrency?: number;
  /** Tries per mail. */
  attempts?: number;
  /** Delay before the first retry; each later one doubles it (with jitter). */
  retryDelayMs?: number;
}

interface Job {
  id: string;
  mail: CodeMail;
  attempt: number;
  /** What the mail is for (its sign-in): a newer mail with the same key replaces it. */
  key?: string;
}

/** Whether a failed send may succeed later: no SMTP reply (connection, time-out) or a 4xx one. */
function transient(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code !== 'number' || (code >= 400 && code < 500);
}

export class MailQueue {
  readonly #mailer: CodeMailer;
  readonly #log: Logger;
  readonly #maxLength: number;
  readonly #concurrency: number;
  readonly #attempts: number;
  readonly #retryDelayMs: number;
  readonly #waiting: Job[] = [];
  readonly #retrying = new Map<NodeJS.Timeout, Job>();
  #sending = 0;
  #scheduled = false;
  #dropped = 0;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(mailer: CodeMailer, log: Logger, options: MailQueueOptions = {}) {
    this.#mailer = mailer;
    this.#log = log;
    this.#maxLength = options.maxLength ?? 1_000;
    this.#concurrency = options.concurrency ?? 4;
    this.#attempts = options.attempts ?? 4;
    this.#retryDelayMs = options.retryDelayMs ?? 2_000;
  }

  /**
   * Queues a mail to send after the current answer, in place of a mail with the same `key` not yet
   * sent; false when the queue is full (the mail is dropped).
   */
  enqueue(mail: CodeMail, key?: string): boolean {
    if (this.#closed) return false;
    if (key !== undefined) this.#forget(key);
    if (this.size >= this.#maxLength) {
      if (this.#dropped++ === 0)
        this.#log.error(
          `The mail queue is full (${this.#maxLength} mails held): sign-in codes are not being sent; users can ask for a new code once it drains. Check the mail server.`,
        );
      return false;
    }
    if (this.#dropped > 0) {
      this.#log.error(`The mail queue has room again; ${this.#dropped} sign-in codes were not sent while it was full`);
      this.#dropped = 0;
    }
    this.#waiting.push({ id: randomBytes(4).toString('hex'), mail, attempt: 1, key });
    this.#schedule();
    return true;
  }

  /** Mails waiting, being sent, or waiting to be tried again. */
  get size(): number {
    return this.#waiting.length + this.#sending + this.#retrying.size;
  }

  /** Resolves once every mail is sent or given up. */
  idle(): Promise<void> {
    return this.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops sending; mails not yet sent are given up (and counted in the log). */
  close(): void {
    this.#closed = true;
    for (const timer of this.#retrying.keys()) clearTimeout(timer);
    const unsent = this.#waiting.length + this.#retrying.size;
    this.#retrying.clear();
    this.#waiting.length = 0;
    if (unsent > 0) this.#log.error(`Stopping with ${unsent} sign-in code mails not sent`);
    this.#mailer.close();
    this.#settle();
  }

  // setImmediate runs after the answer in progress has been written: the send never delays it.
  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (!this.#closed && this.#sending < this.#concurrency && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      this.#sending++;
      this.#mailer.sendCode(job.mail).then(
        () => this.#done(),
        (error: unknown) => {
          this.#retry(job, error);
          this.#done();
        },
      );
    }
  }

  #done(): void {
    this.#sending--;
    this.#pump();
    this.#settle();
  }

  #retry(job: Job, error: unknown): void {
    if (this.#closed) return;
    const why = this.#describe(job, error);
    const fields = { mail: job.id, try: job.attempt, tries: this.#attempts, smtpReply: (error as { responseCode?: number }).responseCode };
    if (job.attempt >= this.#attempts || !transient(error)) {
      this.#log.error(`Could not send sign-in code mail ${job.id} (try ${job.attempt} of ${this.#attempts}), giving up: ${why}`, fields);
      return;
    }
    const delay = Math.round(this.#retryDelayMs * 2 ** (job.attempt - 1) * (0.5 + Math.random() / 2));
    this.#log.error(
      `Could not send sign-in code mail ${job.id} (try ${job.attempt} of ${this.#attempts}), trying again in ${delay} ms: ${why}`,
      { ...fields, retryInMs: delay },
    );
    const timer = setTimeout(() => {
      this.#retrying.delete(timer);
      this.#waiting.unshift({ ...job, attempt: job.attempt + 1 });
      this.#pump();
    }, delay);
    // Not unref'd: a retry is work in progress; close() cancels it.
    this.#retrying.set(timer, job);
  }

  /** Drops the mail with `key` that is waiting or waiting to be tried again. */
  #forget(key: string): void {
    const waiting = this.#waiting.findIndex((job) => job.key === key);
    if (waiting >= 0) this.#waiting.splice(waiting, 1);
    for (const [timer, job] of this.#retrying) {
      if (job.key !== key) continue;
      clearTimeout(timer);
      this.#retrying.delete(timer);
    }
  }

  /** The error's words without the code or the recipient, which an SMTP reply may repeat. */
  #describe(job: Job, error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return message.split(job.mail.to).join('<recipient>').split(job.mail.code).join('<code>');
  }

  #settle(): void {
    if (this.size > 0) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
