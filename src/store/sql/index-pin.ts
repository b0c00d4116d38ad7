// Hot statements name the index they were designed around, so that their plan does not depend on
// the planner's statistics (see ARCHITECTURE.md, "Hot statements keep their plan"). SQLite pins it
// with INDEXED BY, which makes preparing the statement fail if that index cannot serve it, rather
// than letting the plan drift; PostgreSQL has no hints, and runs its hot statements with
// sequential and bitmap scans off instead (postgres/hot-settings.ts).

/**
 * The clause after a table's alias that pins the index it is read through: `index`, or the
 * table's primary key when none is named.
 */
export type IndexPin = (table: string, index?: string) => string;

/** SQLite: an explicit index by name; a primary key of a table with rowid is SQLite's first automatic index. */
export const sqlitePin: IndexPin = (table, index) => `INDEXED BY ${index ?? `sqlite_autoindex_${table}_1`}`;

/** PostgreSQL: no hints (its hot statements run with planner settings that leave only index paths). */
export const noPin: IndexPin = () => '';
