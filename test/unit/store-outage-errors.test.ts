// Which database failures are outages (503, logged once per change by store-health.ts) and with
// what reason: the translation each engine does of its own error codes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreBusyError, StoreUnavailableError } from '../../src/core/errors.js';
import { storeError } from '../../src/store/postgres/errors.js';
import { sqliteStoreError } from '../../src/store/sqlite/errors.js';

const coded = (code: string) => Object.assign(new Error(code), { code });

function reasonOf(err: unknown): string | undefined {
  return err instanceof StoreUnavailableError ? err.reason : undefined;
}

describe('outage reasons', () => {
  it('SQLite: full, read-only and I/O failures of the file, and of the WAL fsync', () => {
    assert.equal(reasonOf(sqliteStoreError(coded('SQLITE_FULL'))), 'disk-full');
    assert.equal(reasonOf(sqliteStoreError(coded('ENOSPC'))), 'disk-full');
    assert.equal(reasonOf(sqliteStoreError(coded('SQLITE_READONLY'))), 'read-only');
    assert.equal(reasonOf(sqliteStoreError(coded('SQLITE_READONLY_DBMOVED'))), 'read-only');
    assert.equal(reasonOf(sqliteStoreError(coded('EROFS'))), 'read-only');
    assert.equal(reasonOf(sqliteStoreError(coded('SQLITE_IOERR_WRITE'))), 'io-error');
    assert.ok(sqliteStoreError(coded('SQLITE_BUSY_SNAPSHOT')) instanceof StoreBusyError);
    const constraint = coded('SQLITE_CONSTRAINT_UNIQUE');
    assert.equal(sqliteStoreError(constraint), constraint);
  });

  it('PostgreSQL: disk full, read-only transaction, I/O error, and an unreachable server', () => {
    assert.equal(reasonOf(storeError(coded('53100'))), 'disk-full');
    assert.equal(reasonOf(storeError(coded('25006'))), 'read-only');
    assert.equal(reasonOf(storeError(coded('58030'))), 'io-error');
    assert.equal(reasonOf(storeError(coded('57P01'))), 'unreachable');
    assert.equal(reasonOf(storeError(coded('ECONNREFUSED'))), 'unreachable');
    const syntax = coded('42601');
    assert.equal(storeError(syntax), syntax);
  });
});
