// Which carrier ref a receipt goes to, in SQL both engines share. An SMSC's message id names a
// submit only while that submit waits for its receipt: a counter that restarts with the SMSC, or a
// short id that wraps, gives it again, so several refs of one carrier can have the same id.
//
// Of the refs that have one of the receipt's ids, the receipt goes to the first in this order: the
// refs of the handset the receipt names (deliver_sm source_addr), then refs still awaiting their
// receipt before refs of recipients that ended, then the newest submit. A ref of an ended recipient
// takes it only when it is the handset's own or the receipt names none (a late duplicate, which the
// terminal guard ignores). A receipt that names a handset and finds only ended refs of other
// handsets is not theirs: its own submit is not recorded yet, and it is parked until it is.
//
// The refs with one id are read by the primary key's prefix (carrier, carrier_message_id) and are
// one or a few, so the order costs a sort of those rows only.

/** The ORDER BY of the refs that have a receipt's id; `r` is the refs' alias, `destination` the handset's placeholder. */
export function receiptPreference(r: string, destination: string): string {
  return `(${r}.destination_tn IS NOT DISTINCT FROM ${destination}) DESC, ${r}.settled, ${r}.submitted_at DESC`;
}

/** True of the preferred ref when it may take the receipt (see above); otherwise the receipt is parked. */
export function refClaims(r: string, destination: string): string {
  return `(${r}.settled = 0 OR ${destination} IS NULL OR ${r}.destination_tn = ${destination})`;
}

/**
 * True of a parked receipt `p` when a ref `r` with its id would now take it, by the rules above: the
 * parked-receipt sweep applies exactly those, so none is taken out of the park to be parked again.
 */
export function parkedClaimedBy(r: string, p: string): string {
  return `(${r}.settled = 0 OR ${p}.destination_tn IS NULL OR ${r}.destination_tn = ${p}.destination_tn)`;
}
