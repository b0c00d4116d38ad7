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
  /** The sending account, for routes that match on it. */
  accountId?: string;
  /** `high` sets the SMPP priority flag. */
  priority?: 'default' | 'high';
  /** Epoch ms after which the message is useless (the SMPP validity period). */
  expiresAt?: number | undefined;
  /** When Pigeon accepted the message (epoch ms): upstream carriers look for an earlier copy of it from then on. */
  acceptedAt?: number;
  /**
   * The recipients the router hands to this same carrier (a group whose recipients routes split over
   * several carriers); absent, all of `recipients`. An upstream carrier sends the group to these.
   */
  routedRecipients?: readonly string[];
}

/**
 * A refusal at submit. `transient` errors are retried with backoff; the others fail the recipient with
 * `errorCode`. A transient error with `spendsAttempt: false` says the recipient was never offered to
 * the destination (the carrier asked to slow down, or had no connection): it is tried again after
 * `retryAfterMs` without spending one of its `delivery.maxAttempts`.
 */
export class CarrierError extends Error {
  readonly spendsAttempt: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    readonly transient: boolean,
    readonly errorCode: number,
    options: { spendsAttempt?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'CarrierError';
    this.spendsAttempt = !transient || options.spendsAttempt !== false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface DeliveryReceipt {
  /** The id of the submitted part this receipt reports, as the carrier gave it in the receipt. */
  carrierMessageId: string;
  /**
   * Other spellings of the same id that the submit response may have used (an SMSC may answer a
   * submit with a hex id and report it in decimal); the receipt matches a part by any of them.
   */
  alternateIds?: readonly string[];
  /**
   * The handset the receipt is about (E.164 where it can be told), when the carrier names it (an
   * SMPP receipt's source_addr). It tells apart submits the carrier gave the same id.
   */
  destination?: string;
  delivered: boolean;
  /** Bandwidth error code when not delivered. */
  errorCode?: number;
  /** What the carrier itself said (e.g. `stat=UNDELIV err=001`), kept in the recipient's event. */
  carrierDetail?: string;
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
  /**
   * The numbers to make copies for; absent, every addressed number Pigeon owns. An upstream that
   * reports a group message once per number it delivered it to names that one number each time.
   */
  owners?: readonly string[];
  text: string | undefined;
  media: readonly InboundAttachment[];
  time: number;
}

/**
 * How an adapter reports what arrives on its own. Each resolves once the event is durably recorded;
 * a rejection means "not taken": the adapter must offer the event again later (an SMPP adapter
 * answers the deliver_sm with an error so the SMSC redelivers). A receipt whose submit is not
 * recorded yet is taken too: it is kept and applied when the submit is recorded.
 */
export interface CarrierEvents {
  receipt(receipt: DeliveryReceipt): Promise<void>;
  inbound(message: CarrierInbound): Promise<void>;
  stateChanged(state: CarrierState): void;
}

/** What a carrier answers to a submit it took. */
export interface SubmitResult {
  /** The carrier's id of each part submitted (one for a message sent whole), in part order. */
  carrierMessageIds: readonly string[];
  /**
   * The message's outcome, when the carrier knows it as it answers (the simulator's receipt due at
   * once, for a message in one part): recorded with the submit in one write, and no receipt follows.
   */
  receipt?: DeliveryReceipt;
}

export interface CarrierAdapter {
  /** Stable name, stored with carrier message ids so receipts are correlated per carrier. */
  readonly name: string;
  start(events: CarrierEvents): Promise<void>;
  /** Resolves once the carrier has taken the message (SubmitResult); throws CarrierError otherwise. */
  submit(submission: CarrierSubmission): Promise<SubmitResult>;
  state(): CarrierState;
  stop(): Promise<void>;
}
