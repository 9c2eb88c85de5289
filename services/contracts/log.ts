/**
 * The one log shape of every service: a JSON object a line, `{"level":…,"message":…,…fields}`,
 * info on standard output and errors on standard error. No service name and no time: the
 * container runtime and the local stack's runner add both, and a name written here too was
 * printed twice. Credentials never reach a line: values that look like one are replaced, and
 * fields named as secrets are dropped to `[redacted]`, whatever a caller passes.
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogLevel = 'info' | 'error';

export interface LoggerOptions {
  /** Where each line goes (without its newline); default: stdout for info, stderr for errors. */
  write?: (line: string, level: LogLevel) => void;
}

/** A logger that writes nothing, for tests that do not look at logs. */
export const silentLogger: Logger = { info: () => {}, error: () => {} };

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line, level) => (level === 'error' ? process.stderr : process.stdout).write(`${line}\n`));
  const entry =
    (level: LogLevel) =>
    (message: string, fields: LogFields = {}) =>
      write(JSON.stringify({ level, message: redact(message), ...redactFields(fields) }), level);
  return { info: entry('info'), error: entry('error') };
}

// Field names whose values are secrets by their nature, whatever they hold.
const SECRET_FIELD = /authorization|cookie|password|secret|^(access_|refresh_|id_)?token$/i;

/** Bearer and Basic credentials and compact JWTs, wherever they stand in a text. */
export function redact(text: string): string {
  return text.replace(/\b(bearer|basic)\s+[^\s"',]+/gi, '$1 [redacted]').replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[jwt]');
}

function redactFields(fields: LogFields): LogFields {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      SECRET_FIELD.test(key) ? '[redacted]' : typeof value === 'string' ? redact(value) : value,
    ]),
  );
}
