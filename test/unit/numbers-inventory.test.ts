// The Numbers API's simulated inventory: deterministic from its config (the same numbers in every
// process and run), configurable, valid North American numbers, and searched as Bandwidth searches.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { Inventory, vanityDigits } from '../../src/core/numbers/inventory.js';
import { NumbersError } from '../../src/core/numbers/numbers-error.js';

const config = (yaml: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'pigeon-inventory-')), 'pigeon.yaml');
  writeFileSync(path, yaml);
  return loadConfig({ PIGEON_CONFIG: path });
};

describe('numbers inventory', () => {
  it('draws the same numbers from the same config, others from another seed', () => {
    const settings = { areaCodes: ['919', '303'], perAreaCode: 50, tollFreePerPrefix: 10, seed: 7 };
    const a = new Inventory(settings).matching({ areaCode: '919', quantity: 5000 }).map((e) => e.number);
    const b = new Inventory(settings).matching({ areaCode: '919', quantity: 5000 }).map((e) => e.number);
    const c = new Inventory({ ...settings, seed: 8 }).matching({ areaCode: '919', quantity: 5000 }).map((e) => e.number);
    assert.equal(a.length, 50);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // NANP: exchange 2-9, never N11 nor 555.
    for (const n of a) assert.match(n, /^919[2-9]\d{6}$/);
    assert.ok(a.every((n) => n.slice(3, 6) !== '555' && n.slice(4, 6) !== '11'));
    assert.equal(new Inventory(settings).matching({ areaCode: '704', quantity: 5000 }).length, 0);
  });

  it('searches by place, exchange, vanity and toll-free pattern', () => {
    const inventory = new Inventory({ areaCodes: ['919', '512'], perAreaCode: 200, tollFreePerPrefix: 100, seed: 1 });
    assert.ok(inventory.matching({ state: 'tx', quantity: 5000 }).every((e) => e.number.startsWith('512')));
    assert.ok(inventory.matching({ city: 'raleigh', quantity: 5000 }).every((e) => e.place?.zip === '27601'));
    const one = inventory.matching({ areaCode: '919', quantity: 1 })[0]?.number as string;
    assert.ok(inventory.matching({ npaNxx: one.slice(0, 6), quantity: 5000 }).some((e) => e.number === one));
    assert.ok(inventory.matching({ localVanity: one.slice(6), endsIn: true, quantity: 5000 }).some((e) => e.number === one));
    assert.equal(vanityDigits('PIGEON'), '744366');
    const tollFree = inventory.matching({ tollFreeWildCardPattern: '88*', quantity: 5000 });
    assert.equal(tollFree.length, 100);
    assert.ok(tollFree.every((e) => e.tollFree && e.number.startsWith('88')));
    assert.throws(() => inventory.matching({ quantity: 1 }), (err: unknown) => err instanceof NumbersError && err.code === 4000);
    assert.throws(() => inventory.matching({ zip: '2760', quantity: 1 }), (err: unknown) => err instanceof NumbersError && err.code === 4000);
  });

  it('takes its size, area codes and seed from the config file, naming the key at fault', () => {
    const loaded = config('numbers:\n  inventory:\n    areaCodes: ["206"]\n    perAreaCode: 3\n    seed: 42\n');
    assert.deepEqual(loaded.numbers.inventory, { areaCodes: ['206'], perAreaCode: 3, tollFreePerPrefix: 50, seed: 42 });
    assert.throws(() => config('numbers:\n  inventory:\n    areaCodes: ["999"]\n'), (err: unknown) => err instanceof ConfigError && /numbers\.inventory\.areaCodes\[0\]/.test(err.message));
    assert.throws(() => config('numbers:\n  inventory:\n    perAreaCode: 0\n'), (err: unknown) => err instanceof ConfigError && /numbers\.inventory\.perAreaCode/.test(err.message));
    assert.throws(() => config('numbers:\n  inventory:\n    size: 3\n'), (err: unknown) => err instanceof ConfigError && /numbers\.inventory/.test(err.message));
  });
});
