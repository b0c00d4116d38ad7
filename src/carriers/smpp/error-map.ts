// The one table from SMPP outcomes to Bandwidth error codes, for submit responses and for
// receipts; the README prints it (docs "Error mapping"). `pigeon smsc` reads the same table
// backwards to say a simulator rule's Bandwidth code in SMPP terms, so a code that is in the
// table makes the round trip unchanged, and one that is not arrives as the row's fallback.
//
// What each submit_sm_resp status does:
// - 'ok': taken.
// - 'slow-down': ESME_RTHROTTLED / ESME_RMSGQFUL: the carrier is sent less and the same part is
//   offered again; the recipient's attempts are not spent (Kannel and Jasmin do the same), also
//   when it goes back to the queue after submitWaitSeconds (CarrierError spendsAttempt false).
// - 'rebind': the bind is not usable (ESME_RINVBNDSTS): it is dropped and re-made, the part offered again.
// - 'transient': the recipient is retried with Pigeon's backoff (an attempt is spent).
// - 'permanent': the recipient fails with the code.

export type SubmitAction = 'ok' | 'slow-down' | 'rebind' | 'transient' | 'permanent';

export interface SubmitStatusRow {
  status: number;
  name: string;
  action: SubmitAction;
  /** Bandwidth code for 'transient' and 'permanent' (and, for 'slow-down', the code named when the recipient goes back to the queue). */
  code: number;
}

export const SUBMIT_STATUS_TABLE: readonly SubmitStatusRow[] = Object.freeze([
  { status: 0x00, name: 'ESME_ROK', action: 'ok', code: 0 },
  { status: 0x58, name: 'ESME_RTHROTTLED', action: 'slow-down', code: 5600 },
  { status: 0x14, name: 'ESME_RMSGQFUL', action: 'slow-down', code: 5600 },
  { status: 0x04, name: 'ESME_RINVBNDSTS', action: 'rebind', code: 5111 },
  { status: 0x08, name: 'ESME_RSYSERR', action: 'transient', code: 5620 },
  { status: 0x45, name: 'ESME_RSUBMITFAIL', action: 'transient', code: 5610 },
  { status: 0x64, name: 'ESME_RX_T_APPN', action: 'transient', code: 5620 },
  { status: 0xfe, name: 'ESME_RDELIVERYFAILURE', action: 'transient', code: 5650 },
  { status: 0xff, name: 'ESME_RUNKNOWNERR', action: 'transient', code: 5999 },
  { status: 0x0a, name: 'ESME_RINVSRCADR', action: 'permanent', code: 4740 },
  { status: 0x48, name: 'ESME_RINVSRCTON', action: 'permanent', code: 4740 },
  { status: 0x49, name: 'ESME_RINVSRCNPI', action: 'permanent', code: 4740 },
  { status: 0x0b, name: 'ESME_RINVDSTADR', action: 'permanent', code: 4720 },
  { status: 0x50, name: 'ESME_RINVDSTTON', action: 'permanent', code: 4720 },
  { status: 0x51, name: 'ESME_RINVDSTNPI', action: 'permanent', code: 4720 },
  { status: 0x61, name: 'ESME_RINVSCHED', action: 'permanent', code: 4350 },
  { status: 0x62, name: 'ESME_RINVEXPIRY', action: 'permanent', code: 4350 },
  { status: 0x01, name: 'ESME_RINVMSGLEN', action: 'permanent', code: 4350 },
  { status: 0x43, name: 'ESME_RINVESMCLASS', action: 'permanent', code: 4350 },
  { status: 0x104, name: 'ESME_RINVDCS', action: 'permanent', code: 4301 },
  { status: 0x65, name: 'ESME_RX_P_APPN', action: 'permanent', code: 4750 },
  { status: 0x66, name: 'ESME_RX_R_APPN', action: 'permanent', code: 4404 },
  { status: 0x101, name: 'ESME_RPROHIBITED', action: 'permanent', code: 4401 },
]);

/** Statuses not in the table: transient, as most SMSC-specific codes are (smpp-3.4-notes §7). */
export const UNKNOWN_SUBMIT_STATUS: Omit<SubmitStatusRow, 'status'> = { name: 'unknown', action: 'transient', code: 5610 };

const BY_STATUS = new Map(SUBMIT_STATUS_TABLE.map((row) => [row.status, row]));

export function submitStatus(status: number): SubmitStatusRow {
  return BY_STATUS.get(status) ?? { status, ...UNKNOWN_SUBMIT_STATUS };
}

/** Receipt final states (message_state TLV value and Appendix B `stat:` word). */
export const RECEIPT_STATES = Object.freeze({
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
} as const);

export type ReceiptStat = (typeof RECEIPT_STATES)[keyof typeof RECEIPT_STATES];

/**
 * A receipt's state and `err` (GSM MAP / SMSC error, decimal) to a Bandwidth code. The first row
 * whose stat matches and whose err is absent (any) or equal wins; rows with an err come first.
 */
export interface ReceiptErrorRow {
  stat: ReceiptStat;
  err?: number;
  code: number;
  meaning: string;
}

export const RECEIPT_ERROR_TABLE: readonly ReceiptErrorRow[] = Object.freeze([
  { stat: 'UNDELIV', err: 1, code: 4720, meaning: 'unknown subscriber' },
  { stat: 'UNDELIV', err: 11, code: 4700, meaning: 'teleservice (SMS) not provisioned' },
  { stat: 'UNDELIV', err: 13, code: 4772, meaning: 'call barred' },
  { stat: 'UNDELIV', err: 27, code: 4702, meaning: 'absent subscriber' },
  { stat: 'UNDELIV', err: 31, code: 4702, meaning: 'subscriber busy for MT SMS' },
  { stat: 'UNDELIV', err: 32, code: 4753, meaning: 'handset cannot take SMS' },
  { stat: 'UNDELIV', code: 5650, meaning: 'undeliverable, other reason' },
  { stat: 'REJECTD', err: 775, code: 4775, meaning: 'recipient opted out (SMSC-specific err)' },
  { stat: 'REJECTD', err: 770, code: 4770, meaning: 'spam detected (SMSC-specific err)' },
  { stat: 'REJECTD', code: 4750, meaning: 'rejected by the destination' },
  { stat: 'EXPIRED', code: 4360, meaning: 'validity period passed before delivery' },
  { stat: 'DELETED', code: 5650, meaning: 'deleted by the SMSC' },
  { stat: 'UNKNOWN', code: 9999, meaning: 'final state unknown' },
]);

/** The Bandwidth code of a failed receipt. */
export function receiptErrorCode(stat: ReceiptStat, err: number | undefined): number {
  for (const row of RECEIPT_ERROR_TABLE) {
    if (row.stat === stat && (row.err === undefined || row.err === err)) return row.code;
  }
  return 9999;
}

/** For `pigeon smsc`: the stat and err that carry a Bandwidth code (UNDELIV err 0 when none does). */
export function receiptForErrorCode(code: number): { stat: ReceiptStat; err: number } {
  const row = RECEIPT_ERROR_TABLE.find((r) => r.code === code);
  return row ? { stat: row.stat, err: row.err ?? 0 } : { stat: 'UNDELIV', err: 0 };
}

/** For `pigeon smsc`: the submit_sm_resp status that carries a Bandwidth code of a refusal. */
export function statusForErrorCode(code: number, transient: boolean): number {
  const row = SUBMIT_STATUS_TABLE.find((r) => r.code === code && (transient ? r.action !== 'permanent' : r.action === 'permanent'));
  return row?.status ?? (transient ? 0x08 : 0x65);
}
