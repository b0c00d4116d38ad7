// The interfaces the core needs from the outside world. Storage engines implement `Store`;
// the core never imports an implementation.
import type { PhoneScriptStore } from './sandbox/phone-script-port.js';
import type { NumbersStore } from './numbers/numbers-port.js';
import type { BucketLimit } from './delivery/token-bucket.js';
import type { Circuit, CircuitChange, CircuitPolicy, EndpointOutcome } from './endpoints/circuit.js';
import type { Message, MessageRecord, MessageStatus, MessageType } from './messages/message.js';
import type { OptOutStore } from './opt-out/opt-out-port.js';
import type { DirectoryStore } from './accounts/directory-port.js';

/**
 * Where the workers write their lines (pino in production). The request and message a line is about
 * come from the log context (shared/log-context.ts), not from the call.
 */
export interface WorkLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** A phone-number filter of the list API: exact numbers, or one partial number matched as a prefix. */
export type TnFilter = { exact: string[] } | { prefix: string };

export const SORT_FIELDS = [
  'messageId',
  'accountId',
  'sourceTn',
  'destinationTn',
  'messageStatus',
  'messageDirection',
  'messageType',
  'segmentCount',
  'errorCode',
  'receiveTime',
  'carrierName',
  'messageSize',
  'messageLength',
  'attachmentCount',
  'recipientCount',
  'campaignClass',
  'campaignId',
  'bwLatency',
  'carrierLatency',
  'callingNumberCountryA3',
  'calledNumberCountryA3',
  'product',
  'location',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];

/**
 * A position in a list's order: the sort key of the last row of a page (keyset paging), so the next
 * page starts right after it at the cost of the first page, however deep it is.
 */
export interface PageCursor {
  /** The row's value of the sort field (null where the column is empty). */
  value: string | number | null;
  receiveTime: number;
  messageId: string;
  destinationTn: string;
  /** Rows before the position (a previous page), returned in reverse order. */
  backwards?: boolean;
}

export interface MessageQuery {
  messageId?: string;
  sourceTn?: TnFilter;
  destinationTn?: TnFilter;
  messageStatus?: MessageStatus;
  messageDirection?: 'INBOUND' | 'OUTBOUND';
  carrierName?: string;
  messageType?: MessageType | 'rcs';
  errorCode?: number;
  campaignId?: string;
  product?: string;
  location?: string;
  callingNumberCountryA3?: string;
  calledNumberCountryA3?: string;
  fromTime?: number;
  toTime?: number;
  fromBwLatency?: number;
  fromCarrierLatency?: number;
  bwQueued?: boolean;
  carrierQueued?: boolean;
  fromSegmentCount?: number;
  toSegmentCount?: number;
  fromMessageSize?: number;
  toMessageSize?: number;
  /** The message's tag, exactly (the console's filter; not a Bandwidth list filter). */
  tag?: string;
  /** Text the message contains, ignoring ASCII case (the console's search; not a Bandwidth list filter). */
  text?: string;
  sort: { field: SortField; direction: 'asc' | 'desc' };
  /** Only rows after this position in the order (before it, nearest first, when backwards). */
  after?: PageCursor;
  offset: number;
  limit: number;
  /**
   * Count at most this many matches (the total is then that many, meaning "at least"): bounds the
   * cost of the count on a large store. Absent, every match is counted.
   */
  countLimit?: number;
}

export interface MediaObject {
  accountId: string;
  name: string;
  contentType: string;
  cacheControl: string | undefined;
  data: Buffer;
  createdAt: number;
}

export interface MediaInfo {
  name: string;
  size: number;
}

export interface MessageStore {
  /**
   * Stores an accepted outbound message, its per-recipient records and one delivery-queue entry per
   * recipient, all in one transaction. The promise resolves only once that transaction is durable.
   */
  acceptOutbound(message: Message, records: readonly MessageRecord[]): Promise<void>;
  listMessages(accountId: string, query: MessageQuery): Promise<{ totalCount: number; records: MessageRecord[] }>;
  /** Messages strictly after a position, in (time, id) order: what waiting for the next message reads. */
  messagesAfter(query: MessageFeedQuery): Promise<Message[]>;
}

/** A position in the order messages were accepted or received: (time, id). */
export interface FeedPosition {
  time: number;
  /** '' for "from this time on, inclusive". */
  id: string;
}

export interface MessageFeedQuery {
  accountId?: string;
  direction?: 'in' | 'out';
  after: FeedPosition;
  limit: number;
}

export interface MediaStore {
  /**
   * Stores (or replaces) a file. With `quotaBytes`, resolves false and stores nothing when the
   * account's files, less one of the same name that this replaces, and this one would exceed it;
   * the check and the write are one step, so concurrent uploads cannot both slip under the quota.
   */
  putMedia(media: MediaObject, quotaBytes?: number): Promise<boolean>;
  getMedia(accountId: string, name: string): Promise<MediaObject | undefined>;
  hasMedia(accountId: string, name: string): Promise<boolean>;
  /** Resolves false when there was nothing to delete. */
  deleteMedia(accountId: string, name: string): Promise<boolean>;
  /** Names in ascending order, strictly after `after` when given. */
  listMedia(accountId: string, after: string | undefined, limit: number): Promise<MediaInfo[]>;
  deleteMediaCreatedBefore(time: number): Promise<number>;
}


// ---- Delivery ---------------------------------------------------------------------------------


/** One recipient of one outbound message, claimed by a worker (or found again by its receipt). */
export interface DeliveryJob {
  message: Message;
  destinationTn: string;
  /** Submits already made for this recipient before this claim. */
  attempts: number;
}

/** A recipient waiting in (or claimed from) the delivery queue. */
export interface QueueEntry {
  destinationTn: string;
  /** Attempts spent, not counting one in progress. */
  attempts: number;
  /** A worker holds it now (its submit is in progress). */
  inFlight: boolean;
  runAt: number;
  lastError: string | undefined;
}

export interface RatePolicy {
  unit: 'messages' | 'segments';
  senderLimit(accountId: string, from: string): BucketLimit | undefined;
  accountLimit(accountId: string): BucketLimit | undefined;
  /**
   * False when no recipient can be limited at all (no default and no override is set), which lets a
   * claim read only as many candidates as it takes. Absent is taken as "may be limited".
   */
  limited?: boolean;
}

export interface ClaimRequest {
  workerId: string;
  now: number;
  limit: number;
  leaseMs: number;
  rates: RatePolicy;
}

export interface ClaimResult {
  jobs: DeliveryJob[];
  /** When the earliest job that is not claimable yet becomes due (rate limits, backoff), if any. */
  nextDueAt: number | undefined;
}

/** A callback to send, created in the same transaction as the status change it reports. */
export interface CallbackToSend {
  messageId: string;
  accountId: string;
  applicationId: string;
  eventType: string;
  url: string;
  /** The JSON array exactly as it will be POSTed. */
  body: string;
  /** The request that caused it (the message's requestId), for the log lines of its attempts. */
  requestId?: string;
}

export interface ClaimedCallback extends CallbackToSend {
  id: number;
  attempts: number;
  createdAt: number;
  /** When its first attempt was claimed (this claim, for a first attempt): the retry window runs from it. */
  firstAttemptAt: number;
  /** Claimed as the one probe of an endpoint whose circuit is open (core/endpoints/circuit.ts). */
  probe: boolean;
}

/** A claim of the outbox, fair across endpoints: the callback URL is the endpoint. */
export interface CallbackClaimRequest {
  workerId: string;
  now: number;
  limit: number;
  leaseMs: number;
  /** Callbacks one endpoint may have in flight, counted from leased rows over every worker process. */
  perEndpoint: number;
  /** Which of the endpoints with work takes the first turn (core/endpoints/round-robin.ts). */
  turn: number;
}

/** What an attempt told about its endpoint, for the store to move the endpoint's circuit. */
export interface EndpointReport {
  endpoint: string;
  outcome: EndpointOutcome;
  policy: CircuitPolicy;
}

/** An outbound endpoint as the admin API shows it: its circuit and its work. */
export interface EndpointStatus extends Circuit {
  /** The outbound queue it belongs to: 'callbacks'. */
  queue: string;
  endpoint: string;
  /** Pending items, in flight or waiting. */
  backlog: number;
  inFlight: number;
}

/** A circuit that opened or closed, reported once by the store that made the change. */
export interface EndpointChange {
  change: CircuitChange;
  status: EndpointStatus;
}

export interface CallbackAttempt {
  time: number;
  statusCode: number | undefined;
  latencyMs: number;
  error: string | undefined;
}

export type CallbackNext = { state: 'delivered' } | { state: 'retry'; runAt: number } | { state: 'abandoned' };

export interface MessageEvent {
  destinationTn: string;
  status: string;
  time: number;
  errorCode: number | undefined;
  detail: string | undefined;
}

/** A callback attempt that failed (no 2xx), for the console's status page. */
export interface CallbackFailure {
  applicationId: string;
  messageId: string;
  eventType: string;
  url: string;
  time: number;
  statusCode: number | undefined;
  error: string | undefined;
}

/** A message with its recipients' records, its events and callbacks (DeliveryStore.messageDetails). */
export interface MessageDetail {
  message: Message;
  /** By recipient number. */
  records: MessageRecord[];
  events: MessageEvent[];
  callbacks: CallbackRecord[];
}

export interface CallbackRecord {
  id: number;
  eventType: string;
  url: string;
  state: 'pending' | 'delivered' | 'abandoned';
  body: string;
  createdAt: number;
  attempts: Array<CallbackAttempt & { attempt: number }>;
}

/**
 * What a recorded submit also writes: `sending`, the SENDING change the worker did not write before
 * the submit (it had no callback: an SMS), recorded first unless the recipient reached SENDING
 * before; `terminal`, the outcome the carrier gave with the submit (a simulated receipt due at
 * once), recorded after SENT in the same write, with its callback, instead of a receipt later.
 */
export interface SubmitWith {
  sending?: StatusChange;
  terminal?: StatusChange;
}

export interface SubmitRecorded {
  /** Whether SubmitWith.terminal ended the recipient (false: it had ended before). */
  ended: boolean;
  owned: boolean;
  receiptsWaiting: boolean;
}

/** The recipient a receipt belongs to, and where its submit stands. */
export interface ReceiptMatch {
  job: DeliveryJob;
  /** Parts of the recipient's submit with a delivered receipt (counting this one), of `partCount`. */
  partsDelivered: number;
  partCount: number;
}

/** A receipt parked until its submit is recorded: the DeliveryReceipt as JSON, under its own id. */
export interface ReceiptToPark {
  receiptKey: string;
  receipt: string;
  time: number;
}

export interface ParkedReceipt {
  carrier: string;
  receiptKey: string;
  /** The DeliveryReceipt as JSON, as it was parked. */
  receipt: string;
}

/** A status change of one recipient, with the callback that reports it (if the application has a URL). */
export interface StatusChange {
  messageId: string;
  /** The message's account (for the console's per-account change signal); absent where not known. */
  accountId?: string;
  destinationTn: string;
  status: MessageStatus;
  time: number;
  errorCode?: number;
  detail?: string;
  callback?: CallbackToSend;
}

export interface DeliveryStore {
  /**
   * Claims due recipients in priority, then arrival, order, within the rate limits
   * (core/delivery/claim-plan.ts); leases them to the worker.
   */
  claimDeliveries(request: ClaimRequest): Promise<ClaimResult>;
  /** Number of recipients of the account still waiting in the queue. */
  queuedCount(accountId: string): Promise<number>;
  /**
   * Records a non-terminal change (SENDING) of a claimed recipient. Its event and callback are written
   * only the first time the recipient reaches that status; resolves whether they were.
   */
  recordProgress(change: StatusChange): Promise<boolean>;
  /**
   * The carrier took the message: the queue entry is removed and the carrier id of each part kept
   * for the receipts. `owned` is false when the worker's lease had already been taken over (the
   * submit was a duplicate); `receiptsWaiting` when a receipt of one of these ids was parked
   * before (it overtook this record) and can now be applied (applyParkedReceipts).
   */
  recordSubmitted(
    job: DeliveryJob,
    workerId: string,
    carrier: string,
    carrierMessageIds: readonly string[],
    time: number,
    also?: SubmitWith,
  ): Promise<SubmitRecorded>;
  /**
   * Puts a claimed recipient back in the queue, due at `runAt`. The claim counted an attempt; with
   * `attemptSpent: false` (the carrier never offered it: throttled, not bound) the count is restored.
   * `sending`: the SENDING of the attempt, when the worker did not write it before (SubmitWith).
   */
  recordRetry(
    job: DeliveryJob,
    workerId: string,
    runAt: number,
    error: string,
    time: number,
    options?: { attemptSpent: boolean; sending?: StatusChange },
  ): Promise<boolean>;
  /** The recipients of a message still in the delivery queue, for the admin view. */
  queueEntries(messageId: string, now: number): Promise<QueueEntry[]>;
  /**
   * DELIVERED or FAILED, once per recipient: a second terminal change is ignored (returns false) and
   * enqueues nothing, so duplicates from the carrier never produce a second terminal callback.
   * `sending`: as for recordRetry, the SENDING of the attempt that ended it, written first.
   */
  recordTerminal(change: StatusChange, sending?: StatusChange): Promise<boolean>;
  /**
   * Records a receipt's outcome on the submitted part known by any of `carrierMessageIds`, and
   * returns that part's recipient with how many parts of its submit are now delivered. An SMSC may
   * give an id again (its counter restarted or wrapped), so several parts may have it; the receipt
   * goes to one of them (as store/sql/receipt-match.ts says): the part for `destination`
   * (the handset the receipt names) if there is one, else the newest part still awaiting its
   * receipt; a part whose recipient ended takes it only when no open one has the id, and is then
   * returned without a change (the terminal guard makes it a duplicate). When no part claims it and
   * `park` is given, the receipt is parked under every one of the ids instead (in the same
   * transaction on engines that can), and the result is undefined: no part has the id, or only
   * ended parts for other handsets than the one it names (its own submit is not recorded yet).
   */
  matchReceipt(
    carrier: string,
    carrierMessageIds: readonly string[],
    outcome: 'delivered' | 'failed',
    options?: { destination?: string | undefined; park?: ReceiptToPark | undefined },
  ): Promise<ReceiptMatch | undefined>;
  /** Parked receipts a recorded part now claims (see matchReceipt), oldest first. */
  matchedParkedReceipts(limit: number): Promise<ParkedReceipt[]>;
  deleteParkedReceipt(carrier: string, receiptKey: string): Promise<void>;
  /** Drops receipts parked before `time` (their submit was never recorded); returns how many. */
  dropParkedReceiptsBefore(time: number): Promise<number>;
  /**
   * Deletes up to `limit` carrier refs of recipients that ended, submitted before `time`; returns
   * how many. Past that age no receipt is expected for them, and their ids may be given again.
   */
  pruneCarrierRefs(submittedBefore: number, limit: number): Promise<number>;
  /** Submitted recipients whose receipt has not come by `submittedBefore`. */
  findAwaitingReceipt(submittedBefore: number, limit: number): Promise<DeliveryJob[]>;
  /** Inbound copies (one per owned number), stored with their records and callbacks in one transaction. */
  acceptInbound(copies: ReadonlyArray<{ message: Message; record: MessageRecord; callback?: CallbackToSend }>): Promise<void>;
  getMessage(messageId: string): Promise<Message | undefined>;
  /**
   * The carrier ids recorded for the recipients of a message: an upstream carrier that sends a group
   * once finds there the id another process (or its own earlier life) got for the group's first recipients.
   */
  carrierRefsOf(messageId: string): Promise<Array<{ carrier: string; carrierMessageId: string; destinationTn: string }>>;
  /**
   * Status changes after acceptance, in order. Acceptance itself (RECEIVED, then QUEUED for outbound
   * messages) is not stored as events: it is the message's own time, and saving two rows per
   * recipient on the hot path bought nothing.
   */
  listEvents(messageId: string): Promise<MessageEvent[]>;

  /**
   * Claims due callbacks, round-robin across endpoints, each endpoint at most its free share
   * (core/endpoints/): `perEndpoint` less what it has in flight while healthy, one probe when its
   * circuit is open and the probe is due, nothing otherwise.
   */
  claimCallbacks(request: CallbackClaimRequest): Promise<ClaimedCallback[]>;
  /**
   * Records an attempt and moves its endpoint's circuit in the same transaction; resolves with the
   * change when the circuit opened or closed (in whichever process made that change, once).
   */
  recordCallbackAttempt(
    id: number,
    workerId: string,
    attempt: CallbackAttempt,
    next: CallbackNext,
    endpoint: EndpointReport,
  ): Promise<EndpointChange | undefined>;
  /** Every known endpoint of the callback outbox, with its circuit and backlog. */
  listEndpoints(now: number): Promise<EndpointStatus[]>;
  listCallbacks(messageId: string): Promise<CallbackRecord[]>;
  /**
   * Many messages at once, each with its recipients' records, events and callbacks (as getMessage,
   * the list, listEvents and listCallbacks give them), in no particular order; a message not stored
   * is left out. The records are read before the events and callbacks, so these hold those of every
   * status the records show (as messageView reads them). For the export (core/sandbox/export.ts),
   * which reads a page of messages in a few statements, each through the tables' message keys,
   * instead of a few per message.
   */
  messageDetails(messageIds: readonly string[]): Promise<MessageDetail[]>;
  /**
   * Queues callback `id` of message `messageId` again, as a new outbox entry with the exact body of
   * the original, to `url` (the application's callback URL now, which may not be the original's),
   * due at `now`; resolves with the new entry's id (undefined: no such callback).
   */
  resendCallback(messageId: string, id: number, url: string, now: number): Promise<number | undefined>;
  /** The account's most recent failed callback attempts, newest first. */
  recentCallbackFailures(accountId: string, limit: number): Promise<CallbackFailure[]>;

  getSetting(key: string): Promise<string | undefined>;
  putSetting(key: string, value: string, time: number): Promise<void>;
}

/**
 * Whose receipts a simulator takes: its own (carrier ids starting with `idPrefix`) once due, another
 * simulator's only once `othersAfterMs` overdue (that process died or is stalled). A receipt taken by
 * a process other than the one whose submit it answers usually arrives before that process has
 * recorded the submit, and waits parked (three more writes and a search); its own process knows to wait.
 */
export interface ReceiptOwner {
  idPrefix: string;
  othersAfterMs: number;
  /** How long a receipt this simulator takes stays its own before another may take it again. */
  leaseMs: number;
}

/** The simulated carrier's own durable state: receipts it still owes. */
export interface SimulatorStore {
  scheduleReceipt(carrierMessageId: string, dueAt: number, receipt: string): Promise<void>;
  /**
   * Due receipts, oldest first. With an `owner`, as ReceiptOwner says where several processes share
   * the store (PostgreSQL); SQLite, drained by one thread of one process, takes every due receipt.
   */
  dueReceipts(now: number, limit: number, owner?: ReceiptOwner): Promise<Array<{ carrierMessageId: string; dueAt: number; receipt: string }>>;
  /** When `dueReceipts` next has something for `owner`. */
  nextReceiptDueAt(owner?: ReceiptOwner): Promise<number | undefined>;
  deleteReceipt(carrierMessageId: string): Promise<void>;
}

/**
 * Parts of long inbound SMS that arrived over SMPP, kept durably until the last part is in
 * (carriers/smpp): the SMSC is told a part was taken only once it is stored here.
 */
export interface InboundPartStore {
  /** Stores a part (a repeat of a stored one is ignored); resolves with every stored part of its message, in sequence order. */
  addPart(part: {
    carrier: string;
    messageKey: string;
    sequence: number;
    total: number;
    text: string;
    receivedAt: number;
  }): Promise<Array<{ sequence: number; text: string }>>;
  deleteMessage(carrier: string, messageKey: string): Promise<void>;
  /**
   * Drops the parts of messages whose first part came before `time`; resolves with how many messages.
   * `fromEsmes`: only the parts of submits from bound applications (carrier `esme:…`), or only the
   * carriers' (each side sweeps its own with its own timeout).
   */
  dropBefore(time: number, fromEsmes: boolean): Promise<number>;
}


/** A submit taken from an application bound over SMPP (src/smpp-server) that asked for a receipt. */
export interface EsmeSubmit {
  messageId: string;
  systemId: string;
  /** registered_delivery bits 1-0: 1 a receipt on success or failure, 2 on failure only. */
  registeredDelivery: 1 | 2;
  /** Ids given in submit_sm_resp (the message's, or those of the parts that asked), each to get a receipt. */
  partIds: readonly string[];
  submittedAt: number;
}

/** Something owed to an SMPP user: a receipt of its submit, or an inbound message for its application. */
export interface EsmeOutboxItem {
  id: number;
  systemId: string;
  kind: 'receipt' | 'inbound';
  messageId: string;
  partIds: readonly string[];
  sourceTn: string;
  destinationTn: string;
  /** Receipts: DELIVERED or FAILED, and the error code of a failure. */
  status: string | undefined;
  errorCode: number;
  text: string;
  submittedAt: number;
  doneAt: number;
  attempts: number;
}

/**
 * The durable outbox towards applications bound over SMPP (src/smpp-server). Receipts and inbound
 * messages are written here by scans of what the core already stored (terminal recipients of
 * recorded submits, inbound messages of applications with SMPP users), so no other write path
 * changes, and stay until the application acknowledged them (deliver_sm_resp).
 */
export interface EsmeOutboxStore {
  /** Remembers a submit that asked for a receipt; called once its message is durable, before submit_sm_resp. */
  recordSubmit(submit: EsmeSubmit): Promise<void>;
  /** Moves receipts of submits whose recipient reached DELIVERED or FAILED into the outbox; resolves with how many. */
  collectReceipts(now: number): Promise<number>;
  /**
   * Puts inbound messages received since `since` by the application into the outbox for each of
   * `systemIds` (a message already there is skipped); resolves with how many were added.
   */
  collectInbound(accountId: string, applicationId: string, systemIds: readonly string[], since: number, now: number): Promise<number>;
  /** Due items of one SMPP user, oldest first, leaving out `exclude` (items in flight in this process). */
  pending(systemId: string, now: number, limit: number, exclude: ReadonlySet<number>): Promise<EsmeOutboxItem[]>;
  markDelivered(id: number, time: number): Promise<void>;
  markRetry(id: number, nextAttemptAt: number): Promise<void>;
  /** Items not yet acknowledged, per SMPP user. */
  backlog(): Promise<Record<string, number>>;
  /**
   * Housekeeping: drops outbox rows delivered before `deliveredBefore`, and submits whose receipt
   * was collected, or that never ended (parts of a long message that never all came), before `submittedBefore`.
   */
  purge(deliveredBefore: number, submittedBefore: number): Promise<number>;
}

/**
 * What one process or thread tells the others sharing the database: work queued ('delivery',
 * 'callbacks'), messages changed (the console's 'changes'), the simulator's rules or defaults
 * changed ('simulator'), the account directory changed ('directory').
 */
export type StoreChannel = 'delivery' | 'callbacks' | 'changes' | 'simulator' | 'directory';

/** Everything Pigeon keeps, grouped by concern; each engine implements all of them over one database. */
export interface Store {
  messages: MessageStore;
  media: MediaStore;
  delivery: DeliveryStore;
  simulator: SimulatorStore;
  inboundParts: InboundPartStore;
  /** What is owed to applications bound over SMPP (src/smpp-server). */
  esmeOutbox: EsmeOutboxStore;
  /** The opt-out list and its audit trail (core/opt-out). */
  optOuts: OptOutStore;
  /** Scripted phones' rules and conversations (core/sandbox/scripted-phones.ts). */
  phones: PhoneScriptStore;
  /** The Numbers API's sites, locations, orders and number holds (core/numbers). */
  numbers: NumbersStore;
  /** Accounts, API users, applications, numbers and SMPP users, with their audit trail (core/accounts). */
  directory: DirectoryStore;
  /**
   * Engines shared by several processes tell when work appears elsewhere (PostgreSQL LISTEN/NOTIFY);
   * workers still poll, so this only makes them faster. Absent where one process is all there is.
   */
  listen?(channel: StoreChannel, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Tells the other processes sharing the database that messages changed (the `changes` channel),
   * for their consoles' live views; a hint like the others. `payload` (the account ids a change
   * touched, comma-separated) reaches the listeners of `changes`. Absent where one process is all there is.
   */
  announce?(channel: 'changes' | 'simulator', payload?: string): void;
  /**
   * For readiness checks: the newest migration the database has against the newest this build
   * knows, and the free space where the engine can see it (SQLite's filesystem). Rejects as the
   * other methods do (StoreUnavailableError …) when the database does not answer.
   */
  readiness?(): Promise<{ applied: number; known: number; freeBytes?: number }>;
  close(): Promise<void>;
}

/**
 * What a carrier that reports over HTTP (an upstream provider's event callbacks, carriers/bandwidth)
 * answers: 200 once applied; 400, 401 or 404 for a request refused with nothing changed; 503 when
 * nothing was stored and the sender should offer it again.
 */
export type CarrierCallbackOutcome = { status: 200 } | { status: 400 | 401 | 404 | 503; error: string };

/** Where one such carrier's callbacks are checked and applied (http/carriers/carrier-callbacks.routes.ts). */
export interface CarrierCallbackEndpoint {
  /** The request's Authorization header against the credentials the carrier was given, in constant time. */
  authorized(authorization: string | undefined): boolean;
  /** Counts a request refused for its credentials (the status page shows forged calls). */
  refusedCredentials(): void;
  handle(body: unknown): Promise<CarrierCallbackOutcome>;
}
