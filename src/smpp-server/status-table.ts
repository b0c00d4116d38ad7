// The one table from what the core says about a submit to the command_status of its submit_sm_resp
// (smpp-3.4-notes §7; README "Binding to Pigeon over SMPP"). Permanent refusals get the specific
// status; conditions that pass (a full queue, a rate limit, a database that is busy or away) get a
// status ESMEs retry: Kannel re-queues on ESME_RMSGQFUL and ESME_RTHROTTLED and fails the message
// on anything else (smsc_smpp.c, handle_pdu submit_sm_resp), as do Jasmin and most others.
import { ApiError, StoreBusyError, StoreUnavailableError } from '../core/errors.js';

export const ESME = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RINVCMDLEN: 0x02,
  RINVCMDID: 0x03,
  RINVBNDSTS: 0x04,
  RALYBND: 0x05,
  RSYSERR: 0x08,
  RINVSRCADR: 0x0a,
  RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RINVESMCLASS: 0x43,
  RSUBMITFAIL: 0x45,
  RTHROTTLED: 0x58,
  RINVEXPIRY: 0x62,
  RINVDCS: 0x104,
  RINVPARLEN: 0xc2,
} as const;

/** Field of a Bandwidth validation error -> the status that names it. */
const FIELD_STATUS: Record<string, number> = {
  from: ESME.RINVSRCADR,
  applicationId: ESME.RINVSRCADR,
  to: ESME.RINVDSTADR,
  text: ESME.RINVMSGLEN,
  expiration: ESME.RINVEXPIRY,
};

/** The command_status for an error thrown while accepting a submit. */
export function submitStatus(err: unknown): number {
  if (err instanceof StoreBusyError || err instanceof StoreUnavailableError) return ESME.RMSGQFUL;
  if (!(err instanceof ApiError)) return ESME.RSYSERR;
  if (err.type === 'max-message-queue-size-exceeded') return ESME.RMSGQFUL;
  if (err.type === 'rate_limit_exceeded') return ESME.RTHROTTLED;
  if (err.status === 503) return ESME.RMSGQFUL;
  if (err.type === 'request-validation') {
    const field = err.fieldErrors?.[0]?.fieldName;
    return (field !== undefined ? FIELD_STATUS[field] : undefined) ?? ESME.RSUBMITFAIL;
  }
  return ESME.RSUBMITFAIL;
}
