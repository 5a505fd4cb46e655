// One error type with its kind as data (KafkaJS style): callers branch on `kind`, not on classes.
//  - retriable: the environment is at fault (connection lost, deadlock, broker down): retry in place.
//  - poison: this one record can never succeed: dead-letter it and keep going.
//  - fatal: going on would be wrong (bad config, auth failure, missing table): stop.
export type ErrorKind = 'retriable' | 'poison' | 'fatal';

export interface ErrorContext {
  /** Stable name of the stage, decoder, sink or component that raised it. */
  stage?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  /** What the operator can do about it. */
  hint?: string;
}

export class TandemError extends Error {
  readonly kind: ErrorKind;
  readonly context: ErrorContext;
  constructor(kind: ErrorKind, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TandemError';
    this.kind = kind;
    this.context = context;
  }
}

export const retriable = (message: string, context?: ErrorContext, cause?: unknown) =>
  new TandemError('retriable', message, context, { cause });
export const poison = (message: string, context?: ErrorContext, cause?: unknown) =>
  new TandemError('poison', message, context, { cause });
export const fatal = (message: string, context?: ErrorContext, cause?: unknown) =>
  new TandemError('fatal', message, context, { cause });

/** Programmer errors are never retried. */
export function isProgrammerError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;
}

export function kindOf(err: unknown): ErrorKind {
  if (err instanceof TandemError) return err.kind;
  return 'fatal';
}
