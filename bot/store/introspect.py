"""What a database's schema is, the same description from either backend: tables, columns
(type, not null), primary keys, unique keys, indexes and foreign keys. A test holds the
PostgreSQL migrations to the SQLite ones with it (tests/unit/test_store_backends.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.database import Database
from bot.store.postgres import PostgresDatabase
from bot.store.sqlite import SQLiteDatabase

# How SQLite's declared types read on PostgreSQL (the only ones the migrations use).
_TYPES = {"integer": "integer", "text": "text", "real": "double precision",
          "double precision": "double precision"}


@dataclass(frozen=True, slots=True)
class Schema:
    columns: frozenset[tuple[str, str, str, bool]]  # table, column, type, not null
    primary_keys: frozenset[tuple[str, tuple[str, ...]]]
    unique: frozenset[tuple[str, tuple[str, ...]]]  # unique constraints
    indexes: frozenset[tuple[str, str, tuple[str, ...]]]  # table, name, columns (CREATE INDEX)
    # table, column, the table and column it references, on delete
    foreign_keys: frozenset[tuple[str, str, str, str, str]]

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(t for t, _, _, _ in self.columns)


async def describe(db: Database) -> Schema:
    if isinstance(db, PostgresDatabase):
        return await _postgres(db)
    if isinstance(db, SQLiteDatabase):
        return await _sqlite(db)
    raise TypeError(f"no introspection for {type(db).__name__}")


async def _sqlite(db: SQLiteDatabase) -> Schema:
    columns, pks, unique, indexes, fks = set(), set(), set(), set(), set()
    for table in await db.tables():
        info = await db.fetchall(f"PRAGMA table_info({table})")
        key = sorted((int(r["pk"]), str(r["name"])) for r in info if int(r["pk"]) > 0)
        if key:
            pks.add((table, tuple(name for _, name in key)))
        for r in info:
            declared = str(r["type"]).lower()
            # an INTEGER PRIMARY KEY is NOT NULL in effect (the rowid)
            not_null = bool(r["notnull"]) or (len(key) == 1 and key[0][1] == r["name"])
            columns.add((table, str(r["name"]), _TYPES.get(declared, declared), not_null))
        for index in await db.fetchall(f"PRAGMA index_list({table})"):
            name, origin = str(index["name"]), str(index["origin"])
            cols = tuple(str(c["name"]) for c in
                         await db.fetchall(f"PRAGMA index_info({name})"))
            if origin == "u":
                unique.add((table, cols))
            elif origin == "c":
                indexes.add((table, name, cols))
        for fk in await db.fetchall(f"PRAGMA foreign_key_list({table})"):
            fks.add((table, str(fk["from"]), str(fk["table"]), str(fk["to"]),
                     str(fk["on_delete"]).upper()))
    return Schema(frozenset(columns), frozenset(pks), frozenset(unique), frozenset(indexes),
                  frozenset(fks))


async def _postgres(db: PostgresDatabase) -> Schema:
    tables = await db.tables()
    rows = await db.fetchall(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    columns = {(str(r[0]), str(r[1]), str(r[2]), r[3] == "NO") for r in rows
               if r[0] in tables}
    constraints = await db.fetchall(
        "SELECT c.conrelid::regclass::text, c.contype::text,"
        " array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)"
        "  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),"
        " c.confrelid::regclass::text,"
        " array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)"
        "  JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i),"
        " c.confdeltype::text"
        " FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace"
        " WHERE s.nspname = current_schema() AND c.contype IN ('p', 'u', 'f')"
    )
    pks, unique, fks = set(), set(), set()
    actions = {"c": "CASCADE", "a": "NO ACTION", "r": "RESTRICT", "n": "SET NULL",
               "d": "SET DEFAULT"}
    for table, kind, cols, to, to_cols, on_delete in constraints:
        if table not in tables:
            continue
        if kind == "p":
            pks.add((table, tuple(cols)))
        elif kind == "u":
            unique.add((table, tuple(cols)))
        else:
            for col, to_col in zip(cols, to_cols, strict=True):
                fks.add((table, col, to, to_col, actions[on_delete]))
    index_rows = await db.fetchall(
        "SELECT t.relname::text, i.relname::text,"
        " array(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(n, o)"
        "  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o)"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace"
        " WHERE s.nspname = current_schema() AND NOT x.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
    )
    indexes = {(str(t), str(n), tuple(c)) for t, n, c in index_rows if t in tables}
    return Schema(frozenset(columns), frozenset(pks), frozenset(unique), frozenset(indexes),
                  frozenset(fks))
