// How a callback leaves: the core hands a request to this port; src/callbacks/ implements it over HTTP.

export interface CallbackRequest {
  url: string;
  /** The JSON array, sent as is. */
  body: string;
  credentials: { username: string; password: string } | undefined;
  /** preemptive: send Basic credentials at once; challenge: only after a 401 asking for them. */
  authMode: 'preemptive' | 'challenge';
  timeoutMs: number;
}

export interface CallbackTransport {
  /** Resolves with the final HTTP status; rejects on connection errors and timeouts. */
  post(request: CallbackRequest): Promise<{ statusCode: number }>;
  close(): Promise<void>;
}
