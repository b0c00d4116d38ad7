// What every log line of a piece of work carries (the request id of the request it serves) without
// passing a logger down: the logger's mixin reads it from here. A request's handling runs inside
// its context (http/request-id.ts); background work that a request caused can run inside one too,
// with runWithLogContext, and its lines then name the same request.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface LogContext {
  reqId?: string;
  /** Set for the work of one message (its delivery, its callbacks). */
  messageId?: string;
}

/** The context of a message's work: the message, and the request that sent it when there was one. */
export function messageLogContext(message: { id: string; requestId?: string }): LogContext {
  return message.requestId === undefined ? { messageId: message.id } : { reqId: message.requestId, messageId: message.id };
}

const storage = new AsyncLocalStorage<LogContext>();

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

export function runWithLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run(context, work);
}

/** Sets the context for the rest of the current asynchronous flow (a Fastify hook, which cannot wrap what follows it). */
export function enterLogContext(context: LogContext): void {
  storage.enterWith(context);
}
