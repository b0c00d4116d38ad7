// The official `@bandwidth/numbers` client (CommonJS, callback style, untyped) as promises, pointed
// at a Pigeon: only `apiEndPoint` differs from a Bandwidth set-up.
import { createRequire } from 'node:module';

type Callback = (err: unknown, result?: unknown, extra?: unknown) => void;
type Fn = (...args: never[]) => void;

export interface NumbersClient {
  accountId: string;
  parseXml(xml: string, callback: (err: unknown, result: Record<string, unknown>) => void): void;
  xml2jsParserOptions: Record<string, unknown>;
}

/** The parts of the library the tests use; results are the client's parsed objects. */
export interface NumbersLib {
  Client: new (accountId: string, userName: string, password: string, clientId?: string, clientSecret?: string, options?: { apiEndPoint: string }) => NumbersClient;
  Site: Record<'create' | 'get' | 'list', Fn>;
  SipPeer: Record<'create' | 'get' | 'list', Fn>;
  Application: Record<'createMessagingApplication' | 'get' | 'list', Fn>;
  AvailableNumbers: Record<'list', Fn>;
  Order: Record<'create' | 'get' | 'list', Fn>;
  Tn: Record<'get' | 'list', Fn>;
  InServiceNumber: Record<'list' | 'get' | 'totals', Fn>;
  Disconnect: Record<'create' | 'get' | 'list', Fn>;
}

export const numbersLib = createRequire(import.meta.url)('@bandwidth/numbers') as NumbersLib;

export function numbersClient(url: string, accountId: string, username: string, password: string): NumbersClient {
  return new numbersLib.Client(accountId, username, password, undefined, undefined, { apiEndPoint: `${url}/api` });
}

/** Calls a callback-style function or method; rejects with the client's error, which carries the parsed body as `result`. */
export function call<T = Record<string, unknown>>(target: object, method: string, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = (target as Record<string, (...a: unknown[]) => void>)[method];
    if (typeof fn !== 'function') throw new Error(`no method ${method}`);
    const done: Callback = (err, result) => {
      if (err) reject(Object.assign(err as object, { result }));
      else resolve(result as T);
    };
    fn.call(target, ...args, done);
  });
}

/** The client's error, as thrown by `call`. */
export interface BandwidthError {
  code?: string | number;
  message: string;
  httpStatus?: number;
  status?: number;
  result?: Record<string, unknown>;
}
