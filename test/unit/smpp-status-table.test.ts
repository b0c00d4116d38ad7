// The rows of the README's table "How the core's answers map to command_status" that an ESME cannot
// provoke over the wire today, checked on the table itself (src/smpp-server/status-table.ts) with the
// core's own errors: a submit carries no expiration and meets no request rate limit, and every
// validation error it can meet names a field the table lists; an unexpected failure and an outage of
// the database cannot be made on demand. test/smpp-server/smpp-server.test.ts covers the reachable rows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors, StoreBusyError, StoreUnavailableError } from '../../src/core/errors.js';
import { submitStatus } from '../../src/smpp-server/status-table.js';

describe('SMPP server status table', () => {
  const table: Array<[string, unknown, number]> = [
    ['a rate limit', errors.rateLimited(1), 0x58],
    ['a bad expiration', errors.validation([{ fieldName: 'expiration', description: 'in the past' }]), 0x62],
    ['any other validation error', errors.validation([{ fieldName: 'tag', description: 'too long' }]), 0x45],
    ['the account queue full', errors.queueFull(60, 3, 0.05), 0x14],
    ['the database busy', new StoreBusyError(), 0x14],
    ['the database unavailable', new StoreUnavailableError(), 0x14],
    ['anything unexpected', new TypeError('x is undefined'), 0x08],
  ];
  for (const [why, err, status] of table) {
    it(`answers ${why} with 0x${status.toString(16).padStart(2, '0')}`, () => {
      assert.equal(submitStatus(err), status);
    });
  }
});
