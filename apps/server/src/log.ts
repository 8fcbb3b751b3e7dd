import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { type DestinationStream, pino } from 'pino';

/**
 * Structured JSON logs, one object per line (pino): debug and info on stdout, warn and error on stderr.
 * Every line written while serving a request or a connection carries its id [O2]; document contents
 * never reach a line (the fields that hold them are censored).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** The ids of the request or connection being served, added to every line written meanwhile. */
export interface LogContext {
  readonly requestId?: string;
  readonly connectionId?: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Fields that hold document contents (deltas, the seed's `Data`, legacy frame values) in any object. */
const contentFields = ['delta', 'ops', 'contents', 'Data', 'value'];
const censored = '[content]';

/** A logger writing to `destination` (tests), or to stdout and stderr by level. */
export function createLogger(destination?: DestinationStream) {
  const streams =
    destination ??
    pino.multistream(
      [
        { level: 'debug', stream: process.stdout },
        { level: 'warn', stream: process.stderr },
      ],
      { dedupe: true },
    );
  return pino(
    {
      level: 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Errors keep their name, message and stack in logs (never in answers to clients).
      serializers: { error: pino.stdSerializers.err, cause: pino.stdSerializers.err },
      redact: {
        paths: [...contentFields, ...contentFields.map((field) => `*.${field}`)],
        censor: censored,
      },
      mixin: () => ({ ...context.getStore() }),
    },
    streams,
  );
}

let logger = createLogger();

export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}

/** Sends the lines to another destination (tests); returns a function restoring the previous one. */
export function redirectLogs(destination: DestinationStream): () => void {
  const previous = logger;
  logger = createLogger(destination);
  logger.level = previous.level;
  return () => {
    logger = previous;
  };
}

// The message goes first among the fields, so lines read `"msg":"listening","port":…` in that order.
const write = (level: LogLevel) => (message: string, fields?: LogFields) =>
  logger[level]({ msg: message, ...fields });

export const log = {
  debug: write('debug'),
  info: write('info'),
  warn: write('warn'),
  error: write('error'),
};

/** Runs `serve` with `ids` on every line it logs, including lines of the work it starts. */
export function withLogContext<A>(ids: LogContext, serve: () => A): A {
  return context.run({ ...context.getStore(), ...ids }, serve);
}

/**
 * Gives what runs after this call, until the current event finishes, the ids of `ids`. For socket events,
 * whose listeners run in the context where the socket was accepted, not where they were added.
 */
export function enterLogContext(ids: LogContext): void {
  context.enterWith({ ...ids });
}

/** `listener` bound to the ids of the current request, for events emitted outside of it. */
export const bindLogContext = <F extends (...args: never[]) => unknown>(listener: F): F =>
  AsyncLocalStorage.bind(listener);

export const newRequestId = (): string => randomUUID();
