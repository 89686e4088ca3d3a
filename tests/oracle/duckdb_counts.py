#!/usr/bin/env python3
"""Prints `table rows` for every table of an incidentlens store, read by DuckDB.

An independent reader: it knows only the store's documented layout (one folder of
Parquet files per table), so agreement with the tool shows the store is plain Parquet.
Usage: duckdb_counts.py STORE_DIR
"""
import os
import sys

import duckdb

store = sys.argv[1]
con = duckdb.connect()
for table in sorted(os.listdir(store)):
    folder = os.path.join(store, table)
    if not os.path.isdir(folder):
        continue
    pattern = os.path.join(folder, "*.parquet")
    (n,) = con.execute(f"SELECT count(*) FROM read_parquet('{pattern}')").fetchone()
    print(table, n)
