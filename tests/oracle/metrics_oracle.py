#!/usr/bin/env python3
"""Recomputes `incidentlens metrics --format json` from the store's Parquet files.

An independent implementation of metrics.md (and of the choices the spec leaves open,
documented in docs/metrics.md) with pandas, numpy, scipy and lifelines. It reads
only the Parquet store, never the tool's code. The integration test compares its output
with the tool's: counts exactly, floats to 1e-9 relative; the bootstrap interval `ci90`
is not recomputed here (the test checks that the tool's brackets the median).

Usage: metrics_oracle.py STORE_DIR PERIOD       (PERIOD: 2026-Q3, 2026-07 or 2026)
"""
import fnmatch
import json
import math
import os
import re
import sys
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from scipy.stats import binomtest, entropy, fisher_exact, mannwhitneyu, norm

STORE, PERIOD = sys.argv[1], sys.argv[2]
SEVS = ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5", "unknown"]
REQUIRED = {"SEV1", "SEV2", "SEV3"}
WEIGHTS = {"SEV1": 8, "SEV2": 4, "SEV3": 2, "SEV4": 1, "SEV5": 0.5, "unknown": 1}
TARGETS = {"SEV1": 30, "SEV2": 60}
MIN, HOUR, DAY = pd.Timedelta(minutes=1), pd.Timedelta(hours=1), pd.Timedelta(days=1)


def read(table):
    return pd.read_parquet(os.path.join(STORE, table))


inc, isv, parts = read("incidents"), read("incident_services"), read("participants")
pages, events, items = read("pages"), read("events"), read("action_items")
msgs, people, services, runs = read("messages"), read("people"), read("services"), read("ingest_runs")


def read_opt(table, columns):
    path = os.path.join(STORE, table)
    return pd.read_parquet(path) if os.path.isdir(path) else pd.DataFrame(columns=columns)


alerts_all = read_opt("alerts", ["incident_id", "alert_key", "created_at"])
dep = read_opt("deployments", ["deployment_id", "service", "environment", "at", "status", "incident_id",
                               "change_number"])
dst = read_opt("deployment_statuses", ["deployment_id", "status", "at"])
ich = read_opt("incident_changes", ["incident_id", "deployment_id"])

# --- identity: references resolve through the people table's aliases ----------------------
alias_of = {a.strip(): pid for pid, al in zip(people["person_id"], people["aliases"]) if isinstance(al, str)
            for a in al.split(";") if a.strip()}


def person(ref):
    if not isinstance(ref, str):
        return ref
    return alias_of.get(ref, ref.lower() if "@" in ref else ref)


for df, column in ((parts, "person_id"), (pages, "person_id"), (items, "owner"), (msgs, "person_id"),
                   (inc, "declared_by"), (inc, "commander")):
    df[column] = df[column].map(person)

# An action item without a team of its own belongs to its owner's team.
items["team"] = items["team"].fillna(items["owner"].map(people.set_index("person_id")["team"].dropna().to_dict()))

# --- period and as_of ------------------------------------------------------------------
def period_bounds(p):
    if "-Q" in p:
        y, q = p.split("-Q")
        start = pd.Timestamp(int(y), 3 * (int(q) - 1) + 1, 1, tz="UTC")
        step = pd.DateOffset(months=3)
    elif "-" in p:
        y, m = p.split("-")
        start, step = pd.Timestamp(int(y), int(m), 1, tz="UTC"), pd.DateOffset(months=1)
    else:
        start, step = pd.Timestamp(int(p), 1, 1, tz="UTC"), pd.DateOffset(years=1)
    return start, start + step, start - step, start


FROM, TO, PFROM, PTO = period_bounds(PERIOD)
latest = max(
    df[c].max()
    for df in (inc, parts, pages, events, items, msgs, alerts_all, dep, dst)
    for c in df.columns
    if isinstance(df[c].dtype, pd.DatetimeTZDtype) and c != "due_at" and df[c].notna().any()
)
AS_OF = latest if latest < TO else TO


def by_as_of(s):
    return s.where(s <= AS_OF)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def q(values, p):
    return float(np.quantile(values, p)) if len(values) else None


def fnum(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


# --- one incident seen by two sources counts once --------------------------------------
# docs/metrics.md: incident_links rows whose two ids are both incidents join them;
# the primary (pager/canonical, then platform, then the rest; then id) keeps its values
# and takes the others' (in id order) where it has none (the earliest retro dates); the rest of the
# data follows it.
def collapse(inc):
    links = read("incident_links")
    ids = set(inc["incident_id"])
    both = links[links["incident_id"].isin(ids) & links["linked_id"].isin(ids)]
    if both.empty:
        return inc, {}
    # Connected components: label every id with the smallest label it reaches, repeatedly.
    label = {i: i for i in ids}
    changed = True
    while changed:
        changed = False
        for a, b in zip(both["incident_id"], both["linked_id"]):
            low = min(label[a], label[b])
            for x in (a, b):
                if label[x] != low:
                    label[x], changed = low, True
    rank = {"pagerduty": 0, "opsgenie": 0, "canonical": 0, "incidentio": 1, "rootly": 1, "firehydrant": 1}
    inc = inc.assign(group=inc["incident_id"].map(label),
                     order_rank=inc["incident_id"].map(lambda i: rank.get(i.split(":")[0], 2)))
    # The primary first (best rank, then least id); the others fill in by id.
    inc = inc.sort_values(["order_rank", "incident_id"])
    first = inc.groupby("group", sort=False)["incident_id"].transform("first")
    inc = inc.assign(order_rank=(inc["incident_id"] != first).astype(int))
    inc = inc.sort_values(["order_rank", "incident_id"])
    groups = inc.groupby("group", sort=False)
    fill = ["title", "team", "severity", "declared_by", "commander", "started_at", "declared_at",
            "acknowledged_at", "mitigated_at", "resolved_at"]
    retro, flags = ["retro_held_at", "retro_published_at"], ["is_drill", "is_maintenance"]
    merged = groups.head(1).set_index("group")
    merged[fill] = groups[fill].first()  # the first value that is not null, in order
    merged[retro] = groups[retro].min()
    merged[flags] = inc[flags].fillna(False).astype(bool).groupby(inc["group"]).any()
    primary_of = dict(zip(inc["incident_id"], inc["group"].map(merged["incident_id"])))
    return merged.reset_index(drop=True).drop(columns=["order_rank"]), primary_of


inc, primary_of = collapse(inc)
for df in (isv, parts, pages, events, items, msgs, alerts_all, dep):
    df["incident_id"] = df["incident_id"].map(lambda i: primary_of.get(i, i))
isv = isv.drop_duplicates(subset=["incident_id", "service"])

# --- incidents in the period -----------------------------------------------------------
inc["anchor"] = inc["declared_at"].fillna(inc["started_at"])
inc = inc[inc["anchor"].notna()].copy()
inc["excluded"] = inc["is_drill"].fillna(False).astype(bool) | inc["is_maintenance"].fillna(False).astype(bool)
inc["sev"] = inc["severity"].fillna("unknown")
inc["start"] = inc["started_at"].fillna(inc["anchor"])
in_p = (inc["anchor"] >= FROM) & (inc["anchor"] < TO)
cur = inc[in_p & ~inc["excluded"]].copy()
prev = inc[(inc["anchor"] >= PFROM) & (inc["anchor"] < PTO) & ~inc["excluded"]].copy()
cur_ids = set(cur["incident_id"])
out = {
    "period": {"from": iso(FROM), "to": iso(TO), "as_of": iso(AS_OF),
               "previous_from": iso(PFROM), "previous_to": iso(PTO)},
    "incidents": {"count": len(cur), "with_service": int(cur["incident_id"].isin(set(isv["incident_id"])).sum()),
                  "excluded": int((in_p & inc["excluded"]).sum()),
                  "by_severity": {s: int((cur["sev"] == s).sum()) for s in SEVS}},
}

# --- 1. time to retro ------------------------------------------------------------------
def retro_obs(df):
    df = df.copy()
    df["res"] = by_as_of(df["resolved_at"])
    df = df[df["res"].notna()]
    held_at = by_as_of(df["retro_held_at"].fillna(df["retro_published_at"]))
    df["held"] = held_at.notna()
    df["hours"] = np.where(df["held"], (held_at - df["res"]) / HOUR, (AS_OF - df["res"]) / HOUR)
    deadline = df["res"].apply(lambda t: t + pd.offsets.BDay(5))
    df["within"] = df["held"] & (held_at <= deadline)
    return df


def km_median(df):
    # metrics.md: the smallest t with S(t) <= 0.5. lifelines' median_survival_time_ takes
    # the first t with S(t) < 0.5 (strict), which differs when S lands exactly on 0.5,
    # so the median is read off lifelines' survival function instead.
    if df.empty:
        return None
    sf = KaplanMeierFitter().fit(df["hours"], df["held"]).survival_function_["KM_estimate"]
    hit = sf[sf <= 0.5 + 1e-12]
    return float(hit.index[0]) if len(hit) else None


def retro_summary(df):
    held = df[df["held"]]["hours"].to_numpy()
    return {"held": int(len(held)), "median_hours": q(held, 0.5), "p90_hours": q(held, 0.9),
            "km_median_hours": km_median(df), "held_within_5_business_days": int(df["within"].sum())}


req = retro_obs(cur[cur["sev"].isin(REQUIRED)])
s = retro_summary(req)
ttr = {"required": len(req), "held": s["held"], "coverage": s["held"] / len(req) if len(req) else None,
       "median_hours": s["median_hours"], "p90_hours": s["p90_hours"], "km_median_hours": s["km_median_hours"],
       "held_within_5_business_days": s["held_within_5_business_days"],
       "held_outside_policy": int(retro_obs(cur[~cur["sev"].isin(REQUIRED)])["held"].sum()),
       "by_severity": {}}
for sev in SEVS:
    o = retro_obs(cur[cur["sev"] == sev])
    b = retro_summary(o)
    pol = sev in REQUIRED
    ttr["by_severity"][sev] = {
        "in_policy": pol, "incidents": len(o), "required": len(o) if pol else 0, "held": b["held"],
        "coverage": (b["held"] / len(o) if len(o) else None) if pol else None,
        "median_hours": b["median_hours"], "p90_hours": b["p90_hours"], "km_median_hours": b["km_median_hours"],
        "held_within_5_business_days": b["held_within_5_business_days"]}
out["time_to_retro"] = ttr

# --- 2. action items -------------------------------------------------------------------
ai = items[items["incident_id"].isin(cur_ids)]
ai = ai[ai["created_at"].isna() | (ai["created_at"] <= AS_OF)].copy()
done = (ai["status"] == "done") & (ai["completed_at"].isna() | (ai["completed_at"] <= AS_OF))
cancelled_at = ai["updated_at"].fillna(ai["completed_at"])
wont = (ai["status"] == "wont_do") & (cancelled_at.isna() | (cancelled_at <= AS_OF))
ai["st"] = np.select([done, wont], ["done", "wont_do"], "open")


def ai_block(df):
    n, nd, nw = len(df), int((df["st"] == "done").sum()), int((df["st"] == "wont_do").sum())
    d = df[(df["st"] == "done") & df["created_at"].notna() & df["completed_at"].notna()]
    o = df[(df["st"] == "open") & df["created_at"].notna()]
    durations = pd.concat([(d["completed_at"] - d["created_at"]) / DAY, (AS_OF - o["created_at"]) / DAY])
    observed = [True] * len(d) + [False] * len(o)
    w30 = w60 = None
    if len(durations):
        kmf = KaplanMeierFitter().fit(durations.to_numpy(), observed)
        w30 = 1 - float(kmf.survival_function_at_times(30).iloc[0])
        w60 = 1 - float(kmf.survival_function_at_times(60).iloc[0])
    ages = ((AS_OF - o["created_at"]) / DAY).to_numpy()
    return {"total": n, "done": nd, "open": int((df["st"] == "open").sum()), "wont_do": nw,
            "completion_rate": nd / (n - nw) if n - nw else None, "done_within_30d": w30, "done_within_60d": w60,
            "open_median_age_days": q(ages, 0.5), "stale_open": int((ages > 60).sum()),
            "unowned": int(df["owner"].isna().sum())}


held_retros = int(by_as_of(cur["retro_held_at"].fillna(cur["retro_published_at"])).notna().sum())
out["action_items"] = {**ai_block(ai), "per_retro": len(ai) / held_retros if held_retros else None,
                       "by_team": {t: ai_block(g) for t, g in sorted(ai.groupby(ai["team"].fillna("unknown")))}}

# --- 3. hotspots -----------------------------------------------------------------------
live = inc[~inc["excluded"]]
plen = (TO - FROM) / (TO - FROM + PTO - PFROM)


def hotspot_table(key, mapping):
    pairs = isv.assign(group=isv["service"].map(mapping)).dropna(subset=["group"])
    pairs = pairs[["incident_id", "group"]].drop_duplicates()
    allp = pairs.merge(live[["incident_id", "start"]], on="incident_id")
    curp = pairs.merge(cur, on="incident_id")
    prevp = pairs[pairs["incident_id"].isin(set(prev["incident_id"]))]
    rows = []
    for g, df in curp.groupby("group"):
        starts = allp[allp["group"] == g]["start"]
        repeats = sum(bool(((s - starts > pd.Timedelta(0)) & (s - starts <= 30 * DAY)).any()) for s in df["start"])
        res = by_as_of(df["resolved_at"])
        ok = df["started_at"].notna() & res.notna() & (res >= df["started_at"])
        k, pv = len(df), int((prevp["group"] == g).sum())
        rows.append({key: g, "incidents": k, "share": k / len(cur),
                     "by_severity": {s: int((df["sev"] == s).sum()) for s in SEVS},
                     "impact_minutes": float(((res - df["started_at"]) / MIN)[ok].sum()),
                     "weighted_score": float(df["sev"].map(WEIGHTS).sum()), "repeat_incidents": int(repeats),
                     "previous": pv, "change_p_value": binomtest(k, k + pv, plen).pvalue})
    return sorted(rows, key=lambda r: (-r["weighted_score"], r[key]))


cat = services.set_index("service")
out["hotspots"] = hotspot_table("service", lambda s: s)
out["hotspots_by_team"] = hotspot_table("team", cat["team"].dropna().to_dict())
out["hotspots_by_product_area"] = hotspot_table("product_area", cat["product_area"].dropna().to_dict())

# --- 4. responders ---------------------------------------------------------------------
pg = pages[pages["incident_id"].isin(cur_ids)].copy()
acked = pg[pg["person_id"].notna() & by_as_of(pg["acknowledged_at"]).notna()][["incident_id", "person_id"]]
roles = parts[parts["incident_id"].isin(cur_ids) & (parts["role"] != "observer")]
cmd_rows = cur[cur["commander"].notna()][["incident_id", "commander"]].rename(columns={"commander": "person_id"})
conversation = msgs["subtype"].isna() | msgs["subtype"].isin(["file_share", "thread_broadcast", "me_message"])
chat = msgs[msgs["incident_id"].isin(cur_ids) & msgs["person_id"].notna() & ~msgs["is_bot"].fillna(False).astype(bool)
            & conversation]
pairs = pd.concat([acked, roles[["incident_id", "person_id"]], cmd_rows, chat[["incident_id", "person_id"]]]).drop_duplicates()
per_person = pairs.groupby("person_id").size()
zones = people.set_index("person_id")["timezone"].dropna().to_dict()


def band(row):
    if pd.isna(row["sent_at"]):
        return False, False
    local = row["sent_at"].tz_convert(ZoneInfo(zones.get(row["person_id"], "UTC")))
    business = local.weekday() < 5 and 8 <= local.hour < 18
    return (not business), (local.hour >= 22 or local.hour < 8)


bands = pg.apply(band, axis=1, result_type="expand") if len(pg) else pd.DataFrame(columns=[0, 1])
pg["off"], pg["sleep"] = bands[0].astype(bool), bands[1].astype(bool)


def concentration(x):
    x = np.asarray(x, dtype=float)
    if len(x) == 0 or x.sum() == 0:
        return {"gini": None, "entropy_norm": None, "top1_share": None, "top10pct_share": None}
    n = len(x)
    g = np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean())
    top = np.sort(x)[::-1][: max(1, math.ceil(n / 10))].sum() / x.sum()
    return {"gini": float(g), "entropy_norm": float(entropy(x) / math.log(n)) if n >= 2 else None,
            "top1_share": float(x.max() / x.sum()), "top10pct_share": float(top)}


def hero_list(counts):
    h = [{"person_id": p, "incidents": int(n)} for p, n in counts.items() if n >= 0.25 * len(cur)]
    return sorted(h, key=lambda r: (-r["incidents"], r["person_id"]))


load = pg[pg["person_id"].notna()].groupby("person_id").agg(pages=("page_id", "size"), off=("off", "sum"), sleep=("sleep", "sum"))
everyone = sorted(set(load.index) | set(per_person.index))
people_rows = [{"person_id": p, "incidents": int(per_person.get(p, 0)),
                "pages": int(load["pages"].get(p, 0)), "off_hours_pages": int(load["off"].get(p, 0)),
                "sleep_hours_pages": int(load["sleep"].get(p, 0))} for p in everyone]
people_rows.sort(key=lambda r: (-r["incidents"], -r["pages"], r["person_id"]))
cmd_pairs = pd.concat([roles[roles["role"] == "commander"][["incident_id", "person_id"]], cmd_rows]).drop_duplicates()
per_cmd = cmd_pairs.groupby("person_id").size()
out["responders"] = {"distinct_responders": int(len(per_person)), **concentration(per_person.to_numpy()),
                     "heroes": hero_list(per_person),
                     "most_loaded_incident_share": (float(per_person.max() / len(cur))
                                                    if len(per_person) and len(cur) else None),
                     "pages": int(len(pg)),
                     "off_hours_pages": int(pg["off"].sum()), "sleep_hours_pages": int(pg["sleep"].sum()),
                     "people": people_rows,
                     "commanders": {"distinct_commanders": int(len(per_cmd)), **concentration(per_cmd.to_numpy()),
                                    "heroes": hero_list(per_cmd)}}

# --- 4b. workload and recovery ---------------------------------------------------------
# Activity: pages received and acknowledged, acknowledgements and status updates posted,
# chat posts by people, roles' start and end; of incidents not excluded, as of AS_OF.
# Bands are read on a UTC quarter-hour grid (every zone's offset is a multiple of 15
# minutes), an independent cut from the tool's local-hour one.
GAP, TAIL, REST = 30 * 60 * 10**6, 15 * 60 * 10**6, 12 * 3600 * 10**6
QUARTER, EPOCH = 15 * 60 * 10**6, pd.Timestamp(0, tz="UTC").to_pydatetime()
UTC_ZONE = ZoneInfo("UTC")


def micros(s):
    return np.array([x.value // 1000 for x in s], dtype=np.int64)


def zone_of(p):
    z = zones.get(p)
    try:
        return ZoneInfo(z), True
    except Exception:
        return UTC_ZONE, False


def quarters(a, b, zone):
    """(length in hours, local time) of each piece of [a, b) cut on the UTC quarter-hour grid."""
    while a < b:
        e = min((a // QUARTER + 1) * QUARTER, b)
        yield (e - a) / 3.6e9, (EPOCH + pd.Timedelta(microseconds=a).to_pytimedelta()).astimezone(zone)
        a = e


def band_of(local):
    if local.weekday() < 5 and 8 <= local.hour < 18:
        return "business_hours"
    return "sleep_hours" if (local.hour >= 22 or local.hour < 8) else "off_hours"


ev_people = events.assign(person_id=events["person_id"].map(person))
chat_all = msgs[msgs["person_id"].notna() & ~msgs["is_bot"].fillna(False).astype(bool) & conversation]
role_rows = parts[parts["role"] != "observer"]
acts = pd.concat([
    pages[["person_id", "incident_id", "sent_at"]].set_axis(["person_id", "incident_id", "t"], axis=1),
    pages[["person_id", "incident_id", "acknowledged_at"]].set_axis(["person_id", "incident_id", "t"], axis=1),
    ev_people[ev_people["kind"].isin(["acknowledged", "status_update"])][["person_id", "incident_id", "at"]]
    .set_axis(["person_id", "incident_id", "t"], axis=1),
    chat_all[["person_id", "incident_id", "at"]].set_axis(["person_id", "incident_id", "t"], axis=1),
    role_rows[["person_id", "incident_id", "first_active_at"]].set_axis(["person_id", "incident_id", "t"], axis=1),
    role_rows[["person_id", "incident_id", "last_active_at"]].set_axis(["person_id", "incident_id", "t"], axis=1),
]).dropna()
acts = acts[acts["incident_id"].isin(set(inc.loc[~inc["excluded"], "incident_id"])) & (acts["t"] <= AS_OF)].copy()
acts["t"] = micros(acts["t"])
acts = acts.sort_values(["person_id", "incident_id", "t"])
same = (acts["person_id"] == acts["person_id"].shift()) & (acts["incident_id"] == acts["incident_id"].shift())
acts["stint"] = (~same | (acts["t"] - acts["t"].shift() > GAP)).cumsum()
st = acts.groupby("stint").agg(person_id=("person_id", "first"), incident_id=("incident_id", "first"),
                               a=("t", "min"), b=("t", "max"))
st["b"] = st["b"] + TAIL
team_of = people.set_index("person_id")["team"].dropna().to_dict()
BANDS = ["business_hours", "off_hours", "sleep_hours"]
zoneless = set()
per_person, per_incident = {}, {}
for _, s_ in st[st["incident_id"].isin(cur_ids)].iterrows():
    zone, known = zone_of(s_["person_id"])
    if not known:
        zoneless.add(s_["person_id"])
    rec = per_person.setdefault(s_["person_id"], {"incidents": set(), "stints": 0, **{b: 0.0 for b in BANDS}})
    rec["incidents"].add(s_["incident_id"])
    rec["stints"] += 1
    for h, local in quarters(s_["a"], s_["b"], zone):
        rec[band_of(local)] += h
        per_incident[s_["incident_id"]] = per_incident.get(s_["incident_id"], 0.0) + h


def hours(rows):
    d = {b: float(sum(r[b] for r in rows)) for b in BANDS}
    return {"person_hours": d["business_hours"] + d["off_hours"] + d["sleep_hours"], **d}


by_person = [{"person_id": p, "team": team_of.get(p, "unknown"), "incidents": len(r["incidents"]),
              "stints": r["stints"], **hours([r])} for p, r in per_person.items()]
by_person.sort(key=lambda r: (-r["person_hours"], r["person_id"]))
teams = sorted({r["team"] for r in by_person})
by_team = [{"team": t, "people": sum(r["team"] == t for r in by_person),
            **hours([r for r in by_person if r["team"] == t])} for t in teams]
by_team.sort(key=lambda r: (-r["person_hours"], r["team"]))
ih = np.array(list(per_incident.values()))
out["workload"] = {"people": len(by_person), "stints": sum(r["stints"] for r in by_person), **hours(by_person),
                   "per_incident": {"incidents": len(ih), "median": q(ih, 0.5), "p90": q(ih, 0.9),
                                    "max": float(ih.max()) if len(ih) else None},
                   "by_team": by_team, "by_person": by_person}

lo, hi = FROM.value // 1000, TO.value // 1000
rec_people = []
for p, g in st.groupby("person_id"):
    spans = []
    for a, b in sorted(zip(g["a"], g["b"])):
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    zone, known = zone_of(p)
    last_span, days = {}, set()  # night -> index of the last span with a minute in it
    for k, (a, b) in enumerate(spans):
        for _, local in quarters(max(a, lo), min(b, hi), zone):
            days.add(local.date())
            if local.hour >= 22 or local.hour < 8:
                night = local.date() - pd.Timedelta(days=1).to_pytimedelta() if local.hour < 8 else local.date()
                last_span[night] = max(last_span.get(night, k), k)
    nights = set(last_span)
    restless = {n for n, k in last_span.items() if k + 1 < len(spans) and spans[k + 1][0] - spans[k][1] <= REST}
    if not days:
        continue
    if not known:
        zoneless.add(p)
    ordered, streak, run = sorted(days), 0, 0
    for i, d in enumerate(ordered):
        run = run + 1 if i and (d - ordered[i - 1]).days == 1 else 1
        streak = max(streak, run)
    rec_people.append({"person_id": p, "team": team_of.get(p, "unknown"), "nights_with_activity": len(nights),
                       "nights_without_rest": len(restless), "longest_streak_days": streak})
rec_people.sort(key=lambda r: (-r["nights_without_rest"], -r["nights_with_activity"], -r["longest_streak_days"],
                               r["person_id"]))
night_people = [r for r in rec_people if r["nights_with_activity"] > 0]
rec_teams = [{"team": t, "people": len(rs), "nights_with_activity": sum(r["nights_with_activity"] for r in rs),
              "nights_without_rest": sum(r["nights_without_rest"] for r in rs)}
             for t in sorted({r["team"] for r in night_people})
             for rs in [[r for r in night_people if r["team"] == t]]]
rec_teams.sort(key=lambda r: (-r["nights_without_rest"], -r["nights_with_activity"], r["team"]))
out["recovery"] = {"recovery_hours": 12.0, "people_with_night_activity": len(night_people),
                   "nights_with_activity": sum(r["nights_with_activity"] for r in rec_people),
                   "nights_without_rest": sum(r["nights_without_rest"] for r in rec_people),
                   "people_without_rest": sum(r["nights_without_rest"] > 0 for r in rec_people),
                   "most_nights_without_rest": max((r["nights_without_rest"] for r in rec_people), default=0),
                   "longest_streak_days": max((r["longest_streak_days"] for r in rec_people), default=0),
                   "by_team": rec_teams, "people": rec_people}

# --- 4c. on call ------------------------------------------------------------------------
# Entries without a start or end reach the period's bounds; a person's entries merged;
# counted in [FROM, min(TO, AS_OF)); pages sent to the person inside their on-call time.
oc_dir = os.path.join(STORE, "on_call")
oc = pd.read_parquet(oc_dir) if os.path.isdir(oc_dir) else pd.DataFrame(columns=["person_id", "started_at", "ended_at"])
oc = oc[oc["person_id"].notna()].copy()
oc["person_id"] = oc["person_id"].map(person)
oc_hi = min(TO, AS_OF).value // 1000
oc_rows, oc_tot = [], {"h": 0.0, "off": 0.0, "sleep": 0.0, "pages": 0}
for p, g in oc.groupby("person_id"):
    raw = sorted((max(lo, a.value // 1000) if pd.notna(a) else lo, min(oc_hi, b.value // 1000) if pd.notna(b) else oc_hi)
                 for a, b in zip(g["started_at"], g["ended_at"]))
    spans = []
    for a, b in (x for x in raw if x[0] < x[1]):
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    if not spans:
        continue
    zone, _ = zone_of(p)
    h = {"business_hours": 0.0, "off_hours": 0.0, "sleep_hours": 0.0}
    for a, b in spans:
        for length, local in quarters(a, b, zone):
            h[band_of(local)] += length
    sent = [t.value // 1000 for t in pages.loc[pages["person_id"] == p, "sent_at"].dropna()]
    n_pages = sum(any(a <= t < b for a, b in spans) for t in sent)
    total = h["business_hours"] + h["off_hours"] + h["sleep_hours"]
    oc_rows.append({"person_id": p, "team": team_of.get(p, "unknown"), "hours": total,
                    "outside_business_hours": h["off_hours"] + h["sleep_hours"], "sleep_hours": h["sleep_hours"],
                    "pages": n_pages, "pages_per_hour": n_pages / total if total > 0 else None})
    oc_tot["h"] += total
    oc_tot["off"] += h["off_hours"] + h["sleep_hours"]
    oc_tot["sleep"] += h["sleep_hours"]
    oc_tot["pages"] += n_pages
oc_rows.sort(key=lambda r: (-r["hours"], r["person_id"]))
out["on_call"] = {"people": len(oc_rows), "hours": oc_tot["h"], "outside_business_hours": oc_tot["off"],
                  "sleep_hours": oc_tot["sleep"], "pages": oc_tot["pages"],
                  "pages_per_hour": oc_tot["pages"] / oc_tot["h"] if oc_tot["h"] > 0 else None, "by_person": oc_rows}

# --- 4d. page noise --------------------------------------------------------------------
per_inc = pg.groupby("incident_id").size()
out["page_noise"] = {"pages": int(len(pg)), "paged_incidents": int(len(per_inc)),
                     "pages_per_incident_median": q(per_inc.to_numpy(dtype=float), 0.5),
                     "pages_per_incident_p90": q(per_inc.to_numpy(dtype=float), 0.9),
                     "pages_per_incident_max": int(per_inc.max()) if len(per_inc) else None,
                     "acknowledged_share": float(by_as_of(pg["acknowledged_at"]).notna().sum() / len(pg)) if len(pg) else None}
al_dir = os.path.join(STORE, "alerts")
al = pd.read_parquet(al_dir) if os.path.isdir(al_dir) else pd.DataFrame(columns=["incident_id", "alert_key", "created_at"])
al = al[al["created_at"].notna()]
in_al = al[(al["created_at"] >= FROM) & (al["created_at"] < TO) & (al["created_at"] <= AS_OF)]
keyed = al[al["alert_key"].notna()]
repeats = sum(((keyed["alert_key"] == k) & (keyed["created_at"] < t) & (t - keyed["created_at"] <= DAY)).any()
              for k, t in zip(in_al["alert_key"], in_al["created_at"]) if isinstance(k, str))
out["page_noise"].update({"alerts": int(len(in_al)), "alerts_without_incident": int(in_al["incident_id"].isna().sum()),
                          "repeat_alerts": int(repeats)})

# --- 4e. themes ------------------------------------------------------------------------
# [themes] as JSON in INCIDENTLENS_ORACLE_THEMES (the test passes the file's mapping).
THEMES = json.loads(os.environ.get("INCIDENTLENS_ORACLE_THEMES", "{}"))
tg = read("incident_tags")
tg = tg[~tg["tag"].str.startswith("incidentlens:") & tg["value"].notna()].copy()
# A postmortem ticket's labels and components are its incident's tags (retro_tags, by the
# incident linking set on the retro).
rt = read_opt("retro_tags", ["retro_id", "tag", "value"])
retro_incident = read_opt("retros", ["retro_id", "incident_id"])[["retro_id", "incident_id"]]
rt = rt.merge(retro_incident, on="retro_id").dropna(subset=["incident_id", "tag", "value"])
tg = pd.concat([tg[["incident_id", "tag", "value"]], rt[["incident_id", "tag", "value"]]])
tg["incident_id"] = tg["incident_id"].map(lambda i: primary_of.get(i, i))


FACTORS = {"cause", "causes", "root cause", "contributing factor", "contributing factors", "theme",
           "category", "incident type", "type", "tag", "label"}


def themes_of(tag, value):
    if not THEMES:
        return {value.strip() if tag.strip().lower() in FACTORS else f"{tag.strip()}: {value.strip()}"}
    v, both = value.lower(), f"{tag}:{value}".lower()
    return {t for t, pats in THEMES.items()
            if any(fnmatch.fnmatchcase(v, p.lower()) or fnmatch.fnmatchcase(both, p.lower()) for p in pats)}


theme_sets = {}
for i, t, v in zip(tg["incident_id"], tg["tag"], tg["value"]):
    theme_sets.setdefault(i, set()).update(themes_of(t, v))


def theme_counts(ids):
    tagged = [i for i in ids if theme_sets.get(i)]
    counts = {}
    for i in tagged:
        for t in theme_sets[i]:
            counts[t] = counts.get(t, 0) + 1
    return len(tagged), counts


n_t, now_t = theme_counts(cur["incident_id"])
n_p, before_t = theme_counts(prev["incident_id"])
rows_t = []
for t in sorted(set(now_t) | set(before_t)):
    k, k0 = now_t.get(t, 0), before_t.get(t, 0)
    p = float(fisher_exact([[k, n_t - k], [k0, n_p - k0]]).pvalue) if n_t and n_p else None
    rows_t.append({"theme": t, "incidents": k, "share": k / n_t if n_t else None, "previous": k0,
                   "previous_share": k0 / n_p if n_p else None, "p_value": p, "holm_p_value": None})
tested = sorted([r for r in rows_t if r["p_value"] is not None], key=lambda r: r["p_value"])
running = 0.0
for rank, r in enumerate(tested):
    running = max(running, min(1.0, (len(tested) - rank) * r["p_value"]))
    r["holm_p_value"] = running
rows_t.sort(key=lambda r: (-r["incidents"], -r["previous"], r["theme"]))
out["themes"] = {"mapped": bool(THEMES), "incidents": len(cur), "tagged": n_t,
                 "coverage": n_t / len(cur) if len(cur) else None, "previous_incidents": len(prev),
                 "previous_tagged": n_p, "by_theme": rows_t}

# --- 4f. changes -----------------------------------------------------------------------
WINDOW = 24 * HOUR
PRODUCTION = {"production", "prod", "prd", "live"}
# A deployment's status: its latest status (a failure last among ties), else its own.
settled = dst.dropna(subset=["at", "status"]).assign(fail=lambda d: d["status"] == "failure")
settled = settled.sort_values(["at", "fail"]).groupby("deployment_id")["status"].last()
dep["status"] = [settled.get(i, s) for i, s in zip(dep["deployment_id"], dep["status"])]
dep["prod"] = [not isinstance(e, str) or e.strip().lower() in PRODUCTION for e in dep["environment"]]
dep["failed"] = dep["status"] == "failure"
dep = dep.sort_values(["at", "deployment_id"])
services_of = isv.groupby("incident_id")["service"].apply(set).to_dict()
# The deployment a source links an incident to: its own incident_id, or incident_changes.
# Of several: one of the incident's own services first, then the latest, then the
# greatest id. Links to deployments not in the store are followed by nothing.
dep_at = dict(zip(dep["deployment_id"], dep["at"]))
# A link names a deployment by its id, or by its number when that is no deployment's id.
by_number = {n: d for n, d in zip(dep["change_number"], dep["deployment_id"]) if isinstance(n, str)}
ich = ich.assign(deployment_id=[d if d in dep_at else by_number.get(d, d) for d in ich["deployment_id"]])
dep_svc = dict(zip(dep["deployment_id"], dep["service"]))
pairs = [(i, d) for i, d in zip(dep["incident_id"], dep["deployment_id"]) if isinstance(i, str)]
pairs += list(zip(ich["incident_id"], ich["deployment_id"]))
linked, unknown_link = {}, set()
for i, d in pairs:
    if d not in dep_at:
        unknown_link.add(i)
        continue
    rank = (dep_svc[d] in services_of.get(i, set()), dep_at[d], d)
    if i not in linked or rank > linked[i][0]:
        linked[i] = (rank, d)
linked = {i: d for i, (_, d) in linked.items()}
unknown_link -= set(linked)
sourced = set(ich["deployment_id"])
prod_dep = dep[dep["prod"] & dep["service"].notna()]
credit = {}
for i, st in zip(inc["incident_id"][~inc["excluded"]], inc["start"][~inc["excluded"]]):
    if st > AS_OF:
        continue
    if i in linked:
        credit[i] = (linked[i], True)
        continue
    if i in unknown_link:
        continue
    near = prod_dep[~prod_dep["failed"] & prod_dep["service"].isin(services_of.get(i, set()))
                    & (prod_dep["at"] <= st) & (st - prod_dep["at"] <= WINDOW)]
    if len(near):
        credit[i] = (near["deployment_id"].iloc[-1], False)
credited_deps = {d for d, _ in credit.values()}
in_period = dep[(dep["at"] >= FROM) & (dep["at"] < TO) & (dep["at"] <= AS_OF)]
counted = in_period[(in_period["prod"] & ~in_period["failed"]) | in_period["incident_id"].notna()
                    | in_period["deployment_id"].isin(sourced)]
by_svc = {}
for svc, did in zip(counted["service"].fillna("unknown"), counted["deployment_id"]):
    r = by_svc.setdefault(svc, {"service": svc, "deployments": 0, "deployments_with_incident": 0,
                                "change_failure_rate": None, "change_induced_incidents": 0})
    r["deployments"] += 1
    r["deployments_with_incident"] += int(did in credited_deps)
dep_by_id = dep.set_index("deployment_id")
induced, obs = [], []
for i, st, res in zip(cur["incident_id"], cur["start"], cur["resolved_at"]):
    if i not in credit:
        continue
    did, by_source = credit[i]
    d = dep_by_id.loc[did]
    svc = d["service"] if isinstance(d["service"], str) else None
    r = by_svc.setdefault(svc or "unknown", {"service": svc or "unknown", "deployments": 0,
                                             "deployments_with_incident": 0, "change_failure_rate": None,
                                             "change_induced_incidents": 0})
    r["change_induced_incidents"] += 1
    done = pd.notna(res) and res <= AS_OF
    obs.append({"hours": max((res if done else AS_OF) - st, pd.Timedelta(0)) / HOUR, "held": done})
    induced.append({"incident_id": i, "deployment_id": did, "service": svc,
                    "hours_before": (st - d["at"]) / HOUR, "linked_by_source": by_source, "_start": st})
for r in by_svc.values():
    r["change_failure_rate"] = r["deployments_with_incident"] / r["deployments"] if r["deployments"] else None
with_svc = [(i, st) for i, st in zip(cur["incident_id"], cur["start"]) if services_of.get(i)]
blind = sum(i not in linked and i not in unknown_link and not ((prod_dep["service"].isin(services_of[i])) & (prod_dep["at"] <= st)
                                    & (st - prod_dep["at"] <= WINDOW)).any() for i, st in with_svc)
n_with = len(counted[counted["deployment_id"].isin(credited_deps)])
out["changes"] = {
    "window_hours": 24.0, "deployments": len(counted),
    "deployments_status_unknown": int(counted["status"].isna().sum()),
    "deployments_with_incident": n_with,
    "change_failure_rate": n_with / len(counted) if len(counted) else None,
    "change_induced_incidents": len(induced), "incidents_with_service": len(with_svc),
    "incidents_without_deployment_in_reach": int(blind),
    "incidents_linked_to_unknown_change": sum(i in unknown_link for i in cur["incident_id"]),
    "recovery_median_hours": km_median(pd.DataFrame(obs, columns=["hours", "held"])),
    "recovery_resolved": sum(o["held"] for o in obs),
    "by_service": sorted(by_svc.values(), key=lambda r: (-r["deployments_with_incident"], -r["deployments"], r["service"])),
    "induced": [{k: v for k, v in r.items() if k != "_start"}
                for r in sorted(induced, key=lambda r: (r["_start"], r["incident_id"]))],
}

# --- 4g. recurrence --------------------------------------------------------------------
def title_words(t):
    t = t.lower() if isinstance(t, str) else ""
    words, w = set(), ""
    for ch in t + " ":
        if ch.isalnum():
            w += "" if ch.isnumeric() else ch
        else:
            words.add(w)
            w = ""
    return words - {""}


keys_of = alerts_all.dropna(subset=["incident_id", "alert_key"]).groupby("incident_id")["alert_key"].apply(set).to_dict()
earlier = inc[~inc["excluded"]].sort_values(["start", "incident_id"])


def label(row):
    return f"#{int(row['number'])}" if pd.notna(row["number"]) else row["incident_id"].split(":", 1)[-1]


pairs = []
for _, row in cur.iterrows():
    st, mine = row["start"], title_words(row["title"])
    svc, keys = services_of.get(row["incident_id"], set()), keys_of.get(row["incident_id"], set())
    window = earlier[(earlier["start"] < st) & (st - earlier["start"] <= 30 * DAY)]
    for _, o in window.iloc[::-1].iterrows():
        theirs = title_words(o["title"])
        union = mine | theirs
        sim = len(mine & theirs) / len(union) if union else 0.0
        shared = sorted(svc & services_of.get(o["incident_id"], set())) if sim >= 0.6 else []
        same_key = bool(keys & keys_of.get(o["incident_id"], set()))
        if same_key or shared:
            pairs.append({"incident_id": row["incident_id"], "incident": label(row), "earlier_id": o["incident_id"],
                          "earlier": label(o), "days_apart": (st - o["start"]) / DAY, "same_alert_key": same_key,
                          "service": shared[0] if shared else None, "title_similarity": sim,
                          "team": row["team"] if isinstance(row["team"], str) else None, "_start": st})
            break
pairs = [{k: v for k, v in p.items() if k != "_start"} for p in sorted(pairs, key=lambda p: (p["_start"], p["incident_id"]))]
out["recurrence"] = {"days": 30.0, "similarity": 0.6, "incidents": len(cur), "recurring": len(pairs),
                     "repeat_rate": len(pairs) / len(cur) if len(cur) else None, "pairs": pairs}

# --- 5. phases -------------------------------------------------------------------------
ev = events.copy()
first_page = pd.concat([by_as_of(pages["sent_at"]).rename("t").to_frame().assign(incident_id=pages["incident_id"]),
                        by_as_of(ev[ev["kind"] == "paged"]["at"]).rename("t").to_frame().assign(
                            incident_id=ev[ev["kind"] == "paged"]["incident_id"])]).dropna().groupby("incident_id")["t"].min()
first_ack = pd.concat([
    by_as_of(pages["acknowledged_at"]).rename("t").to_frame().assign(incident_id=pages["incident_id"]),
    by_as_of(ev[ev["kind"] == "acknowledged"]["at"]).rename("t").to_frame().assign(
        incident_id=ev[ev["kind"] == "acknowledged"]["incident_id"]),
    by_as_of(inc["acknowledged_at"]).rename("t").to_frame().assign(incident_id=inc["incident_id"]),
]).dropna().groupby("incident_id")["t"].min()


def phase_durations(df):
    fp = df["incident_id"].map(first_page)
    fa = df["incident_id"].map(first_ack)
    ack = (fa - fp.fillna(df["start"])) / MIN
    mit = (by_as_of(df["mitigated_at"]) - df["start"]) / MIN
    res = (by_as_of(df["resolved_at"]) - df["start"]) / MIN
    return [ack, mit, res]


def phase(c, p):
    c, p = c.dropna(), p.dropna()
    c, p = c[c >= 0].to_numpy(), p[p >= 0].to_numpy()
    mw = None
    if len(c) and len(p):
        mw = fnum(float(mannwhitneyu(c, p, alternative="two-sided", method="asymptotic", use_continuity=True).pvalue))
    return {"n": len(c), "median_minutes": q(c, 0.5), "p90_minutes": q(c, 0.9), "ci90": "bootstrap",
            "previous_n": len(p), "previous_median_minutes": q(p, 0.5), "mann_whitney_p": mw,
            "detectable_ratio": detectable_ratio(c, p)}


def detectable_ratio(a, b):
    """The smallest change in the median these samples would show (80% power, 5% level),
    as a factor, comparing log durations with a robust standard error of each median."""
    def se(x):
        logs = np.log(x[x > 0])
        if len(logs) < 2:
            return None
        iqr = np.quantile(logs, 0.75) - np.quantile(logs, 0.25)
        return 1.2533 * (iqr / 1.349) / math.sqrt(len(logs)) if iqr > 0 else None
    sa, sb = se(a), se(b)
    if sa is None or sb is None:
        return None
    return float(math.exp((norm.ppf(0.975) + norm.ppf(0.8)) * math.sqrt(sa * sa + sb * sb)))


cd, pd_ = phase_durations(cur), phase_durations(prev)
out["phases"] = {name: phase(cd[k], pd_[k]) for k, name in enumerate(["time_to_ack", "time_to_mitigate", "time_to_resolve"])}

# --- 6. declaration --------------------------------------------------------------------
functions = people.set_index("person_id")["function"].to_dict()
decl = cur[cur["declared_by"].notna()]["declared_by"].map(lambda p: functions.get(p) if isinstance(functions.get(p), str) else "unknown")
by_fn = {k: int(v) for k, v in sorted(decl.value_counts().items())}
known = sum(v for k, v in by_fn.items() if k != "unknown")
non_eng = sum(v for k, v in by_fn.items() if k not in ("unknown", "engineering"))
ptd = ((cur["declared_at"] - cur["incident_id"].map(first_page)) / MIN).dropna().to_numpy()
out["declaration"] = {"declared_by_function": by_fn, "non_engineering_share": non_eng / known if known else None,
                      "page_to_declare_minutes": q(ptd, 0.5), "page_to_declare_n": len(ptd)}

# --- 7. comms --------------------------------------------------------------------------
su = events[(events["kind"] == "status_update") & events["incident_id"].isin(cur_ids)]
gaps, with_updates, over = [], 0, 0
for _, i in cur.iterrows():
    end = i["resolved_at"] if pd.notna(i["resolved_at"]) and i["resolved_at"] <= AS_OF else AS_OF
    t = su[(su["incident_id"] == i["incident_id"]) & (su["at"] >= i["anchor"]) & (su["at"] <= end)]["at"].sort_values()
    if t.empty:
        continue
    with_updates += 1
    g = np.diff(np.concatenate([[i["anchor"].value], t.map(lambda x: x.value).to_numpy()])) / 6e10
    gaps.extend(g)
    over += bool((g > TARGETS.get(i["sev"], 120)).any())
out["comms"] = {"incidents_with_updates": with_updates, "gaps": len(gaps), "median_gap_minutes": q(gaps, 0.5),
                "p90_gap_minutes": q(gaps, 0.9), "incidents_over_target": over / with_updates if with_updates else None}

# --- data quality ----------------------------------------------------------------------
r = runs.sort_values("run_id").drop_duplicates(["file", "sha256"])
srcs = [{"source": s, "files": len(g), "rows_read": int(g["rows_read"].sum()), "rows_ingested": int(g["rows_ingested"].sum()),
         "rows_skipped": int(g["rows_skipped"].fillna(0).sum()) if "rows_skipped" in g else 0,
         "rows_rejected": int(g["rows_rejected"].sum())} for s, g in sorted(r.groupby("source"))]
referenced = set(parts["person_id"].dropna()) | set(pages["person_id"].dropna()) | set(items["owner"].dropna()) \
    | set(msgs["person_id"].dropna()) | set(inc["declared_by"].dropna()) | set(inc["commander"].dropna())
negative = sum(int((d.dropna() < 0).sum()) for d in cd)
cur_services = set(isv[isv["incident_id"].isin(cur_ids)]["service"])
out["data_quality"] = {"sources": srcs, "rows_read": sum(s["rows_read"] for s in srcs),
                       "rows_ingested": sum(s["rows_ingested"] for s in srcs),
                       "rows_skipped": sum(s["rows_skipped"] for s in srcs),
                       "rows_rejected": sum(s["rows_rejected"] for s in srcs),
                       "incidents_without_severity": int(cur["severity"].isna().sum()),
                       "incidents_without_resolution": int(by_as_of(cur["resolved_at"]).isna().sum()),
                       "unmatched_people": len(referenced - set(people["person_id"])),
                       "people_without_zone": len(zoneless),
                       "negative_durations": negative,
                       "services_not_in_catalog": len(cur_services - set(services["service"]))}

# Incident channels: ^(inc|incident)[-_](\d+) names the incident with that number in the
# best-ranked source (pagers and canonical, then platforms, then the rest).
RANK = {"pagerduty": 0, "opsgenie": 0, "canonical": 0, "incidentio": 1, "rootly": 1, "firehydrant": 1}
ambiguous = dangling = 0
for name in sorted(set(msgs["channel_name"].dropna())):
    m = re.match(r"(?i)^(inc|incident)[-_](\d+)", name)
    if not m:
        continue
    cands = inc[inc["number"] == int(m.group(2))]
    if cands.empty:
        dangling += 1
        continue
    ranks = cands["source"].map(lambda s: RANK.get(s, 2))
    if (ranks == ranks.min()).sum() > 1:
        ambiguous += 1
out["data_quality"]["ambiguous_links"] = ambiguous
out["data_quality"]["dangling_links"] = dangling
# Documented fallbacks the sources applied, per what they set, among the period's
# incidents; records still waiting for their incident, whatever their period.
tags = read("incident_tags")
fb = tags[(tags["tag"] == "incidentlens:fallback") & tags["incident_id"].isin(cur_ids)]
out["data_quality"]["fallbacks"] = {k: int(v) for k, v in sorted(fb["value"].value_counts().items())}
pending_dir = os.path.join(STORE, "pending")
# A store linked by this version names every merged incident's primary.
out["data_quality"]["unmerged_links"] = 0
out["data_quality"]["records_pending"] = len(pd.read_parquet(pending_dir)) if os.path.isdir(pending_dir) else 0
print(json.dumps(out, indent=1))
