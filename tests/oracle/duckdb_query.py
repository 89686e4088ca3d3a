#!/usr/bin/env python3
"""Runs a named query file unmodified on DuckDB over an incidentlens store.

Parameters are bound the way the tool documents: a date as seconds since the epoch
(UTC), a number as itself, text as a quoted string. Prints the result as a JSON array of
objects (timestamps as RFC 3339 UTC), for the test to compare with the tool's output.
Usage: duckdb_query.py STORE QUERY.sql [NAME=VALUE ...]
"""
import json
import re
import sys
from datetime import date, datetime, timezone

import duckdb

store, path, *pairs = sys.argv[1:]
sql = open(path).read()
params = {}
for line in sql.splitlines():
    m = re.match(r"--\s*param\s+(\w+)\s+(\w+)\s+([^:\s]+)", line)
    if m:
        params[m.group(1)] = (m.group(2), m.group(3))
given = dict(p.split("=", 1) for p in pairs)


def literal(kind, value):
    if kind == "date":
        d = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else \
            datetime.combine(date.fromisoformat(value), datetime.min.time())
        if d.tzinfo is None:
            d = d.replace(tzinfo=timezone.utc)
        secs = d.timestamp()
        return str(int(secs)) if secs == int(secs) else repr(secs)
    if kind == "number":
        return value
    return "'" + value.replace("'", "''") + "'"


values = {k: literal(kind, given.get(k, default)) for k, (kind, default) in params.items()}
bound = re.sub(r"(?<!:):([a-z_]+)", lambda m: values[m.group(1)], sql)

con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
for table in ["incidents", "incident_services", "incident_links", "participants", "pages", "events",
              "action_items", "messages", "people", "services", "ingest_runs", "rejects",
              "incident_tags", "alerts", "deployments", "deployment_statuses", "incident_changes",
              "retros", "retro_tags"]:
    con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{store}/{table}/*.parquet')")
cur = con.execute(bound)
names = [d[0] for d in cur.description]


def cell(v):
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if hasattr(v, "is_finite"):  # Decimal
        return float(v)
    return v


print(json.dumps([{n: cell(v) for n, v in zip(names, row)} for row in cur.fetchall()], indent=1))
