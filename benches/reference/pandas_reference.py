#!/usr/bin/env python3
"""The reference the scale benchmark holds incidentlens against: pandas computing the
same hotspots, time-to-retro and responder figures straight from the raw exports that
`incidentlens synth` writes (PagerDuty JSON, the Slack export zip, Jira search JSON).

Usage: pandas_reference.py ORG_DIR YEAR   (prints a JSON summary)
Written for the benchmark, not for reuse: it reads only what the figures need.
"""
import json
import os
import sys
import zipfile

import numpy as np
import pandas as pd

org, year = sys.argv[1], int(sys.argv[2])
start, end = pd.Timestamp(f"{year}-01-01", tz="UTC"), pd.Timestamp(f"{year + 1}-01-01", tz="UTC")

# --- PagerDuty: incidents, their service, resolution, and who was paged ------------------
with open(f"{org}/pagerduty/incidents.json") as f:
    incidents = json.load(f)["incidents"]
inc = pd.DataFrame({
    "id": [i["id"] for i in incidents],
    "number": [i["incident_number"] for i in incidents],
    "service": [i["service"]["summary"] for i in incidents],
    "created": pd.to_datetime([i["created_at"] for i in incidents], utc=True),
    "resolved": pd.to_datetime([i["resolved_at"] for i in incidents], utc=True),
    "priority": [(i["priority"] or {}).get("summary") for i in incidents],
})
# Log entries embedded in the incidents, or (`synth --pagerduty-log global`) one
# account-wide /log_entries file.
if os.path.exists(f"{org}/pagerduty/log_entries.json"):
    with open(f"{org}/pagerduty/log_entries.json") as f:
        entries = json.load(f)["log_entries"]
    pages = pd.DataFrame([
        {"id": e["incident"]["id"], "user": e["user"]["id"]}
        for e in entries if e["type"] == "notify_log_entry"
    ])
else:
    pages = pd.DataFrame([
        {"id": i["id"], "user": e["user"]["id"]}
        for i in incidents for e in i["log_entries"] if e["type"] == "notify_log_entry"
    ])
with open(f"{org}/pagerduty/users.json") as f:
    email_of = {u["id"]: u["email"] for u in json.load(f)["users"]}
pages["person"] = pages["user"].map(email_of)

cur = inc[(inc["created"] >= start) & (inc["created"] < end)]

# --- hotspots ------------------------------------------------------------------------
hotspots = cur.groupby("service").size().sort_values(ascending=False)

# --- time to retro: postmortem tickets labelled inc-N, done date vs resolution ----------
with open(f"{org}/jira/search.json") as f:
    issues = json.load(f)["issues"]
pm = pd.DataFrame([
    {"number": int(x["fields"]["labels"][0][4:]),
     "held": x["fields"]["resolutiondate"]}
    for x in issues if x["fields"]["issuetype"]["name"] == "Postmortem"
])
pm["held"] = pd.to_datetime(pm["held"], utc=True)
req = cur[cur["priority"].isin(["P1", "P2", "P3"])].merge(pm, on="number", how="left")
held = req[req["held"].notna() & (req["held"] <= end)]
hours = (held["held"] - held["resolved"]).dt.total_seconds() / 3600

# --- responders: paged people and chat authors of each incident's channel ----------------
with zipfile.ZipFile(f"{org}/slack/export.zip") as z:
    with z.open("users.json") as f:
        slack_email = {u["id"]: u.get("profile", {}).get("email") for u in json.load(f)}
    rows = []
    for name in z.namelist():
        if not name.startswith("inc-") or not name.endswith(".json"):
            continue
        number = int(name.split("-")[1])
        with z.open(name) as f:
            for m in json.load(f):
                if "user" in m and "bot_id" not in m:
                    rows.append((number, slack_email.get(m["user"])))
chat = pd.DataFrame(rows, columns=["number", "person"]).merge(inc[["id", "number"]], on="number")
parts = pd.concat([pages[["id", "person"]], chat[["id", "person"]]]).dropna().drop_duplicates()
parts = parts[parts["id"].isin(cur["id"])]
x = np.sort(parts.groupby("person").size().to_numpy().astype(float))
n = len(x)
gini = float(np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean())) if n else None

print(json.dumps({
    "incidents": int(len(cur)),
    "top_hotspot": [hotspots.index[0], int(hotspots.iloc[0])] if len(hotspots) else None,
    "retro_required": int(len(req)), "retro_held": int(len(held)),
    "retro_median_hours": float(hours.median()) if len(hours) else None,
    "distinct_responders": n, "gini": gini,
}))
