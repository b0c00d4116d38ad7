// The carrier adapter contract, shaped by what a real SMSC connection does (SMPP 3.4): a submit is
// answered with the carrier's own message id; the delivery receipt arrives later, on its own, and is
// matched to the message by that id; inbound messages arrive on the same connection; the connection
// has a state. The simulated carrier is the first implementation.

export type CarrierState = 'connecting' | 'connected' | 'disconnected';

/** One recipient of one message, as handed to the carrier. */
export interface CarrierSubmission {
  messageId: string;
  from: string;
  destination: string;
  /** Every recipient of the message (a group MMS is submitted once per recipient). */
  recipients: readonly string[];
  text: string | undefined;
  media: readonly string[] | undefined;
  type: 'sms' | 'mms';
  segmentCount: number;
  /** 1 for the first try, counting retries after transient errors. */
  attempt: number;
}

/** A refusal at submit. `transient` errors are retried with backoff; the others fail the recipient with `errorCode`. */
export class CarrierError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly errorCode: number,
  ) {
    super(message);
    this.name = 'CarrierError';
  }
}

/**
 * A receipt refused because no submit with its carrier id is recorded. Expected now and then: a
 * receipt can overtake the recording of its own submit, and a worker that died between the carrier's
 * answer and that recording leaves a receipt that will never match (its recipient was submitted
 * again). The adapter offers it again for a while, then drops it; neither is a fault.
 */
export class UnknownCarrierMessageError extends Error {
  constructor(
    readonly carrier: string,
    readonly carrierMessageId: string,
  ) {
    super(`receipt for unknown ${carrier} message id ${carrierMessageId}`);
    this.name = 'UnknownCarrierMessageError';
  }
}

export interface DeliveryReceipt {
  carrierMessageId: string;
  delivered: boolean;
  /** Bandwidth error code when not delivered. */
  errorCode?: number;
  time: number;
}

export interface InboundAttachment {
  /** Either a URL the carrier already hosts, or bytes for Pigeon's media store. */
  url?: string;
  fileName?: string;
  contentType?: string;
  data?: Buffer;
}

export interface CarrierInbound {
  from: string;
  to: readonly string[];
  text: string | undefined;
  media: readonly InboundAttachment[];
  time: number;
}

/**
 * How an adapter reports what arrives on its own. Each resolves once the event is durably recorded;
 * a rejection means "not taken": the adapter must offer the event again later (an SMPP adapter
 * answers the deliver_sm with an error so the SMSC redelivers).
 */
export interface CarrierEvents {
  receipt(receipt: DeliveryReceipt): Promise<void>;
  inbound(message: CarrierInbound): Promise<void>;
  stateChanged(state: CarrierState): void;
}

export interface CarrierAdapter {
  /** Stable name, stored with carrier message ids so receipts are correlated per carrier. */
  readonly name: string;
  start(events: CarrierEvents): Promise<void>;
  /** Resolves with the carrier's message id once the carrier has taken the message; throws CarrierError otherwise. */
  submit(submission: CarrierSubmission): Promise<{ carrierMessageId: string }>;
  state(): CarrierState;
  stop(): Promise<void>;
}
