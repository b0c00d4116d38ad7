import type Database from 'better-sqlite3';

/** Prepares each statement of a module's table of SQL texts, under the same names. */
export function prepareAll<K extends string>(db: Database.Database, sql: Readonly<Record<K, string>>): Record<K, Database.Statement> {
  return Object.fromEntries(Object.entries<string>(sql).map(([name, text]) => [name, db.prepare(text)])) as Record<K, Database.Statement>;
}
