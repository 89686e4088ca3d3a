"""The comparisons the report's findings state, worked out independently.

Usage: findings_oracle.py TOOL_DOC PREVIOUS_ORACLE_DOC

TOOL_DOC is the tool's metrics document of a period; PREVIOUS_ORACLE_DOC is
metrics_oracle.py's document of the period before it (judged as it stands now). Prints,
per finding family, the comparison its sentence should state: this period's count and
population from the tool's metrics (held to metrics_oracle.py elsewhere), the previous
period's from the oracle, Fisher's exact test (scipy), the Holm adjustment over the
services' binomial p-values, the evidence the rule of docs/metrics.md grades, and
the smallest detectable difference (80% power, 5% level, normal approximation).
"""
import json
import math
import sys

from scipy.stats import fisher_exact, norm

tool = json.load(open(sys.argv[1]))
before = json.load(open(sys.argv[2]))
MIN_N = 20


def evidence(n, p):
    if p is None:
        return None
    if n < MIN_N:
        return "too_few"
    return "strong" if p < 0.01 else "some" if p < 0.05 else "chance"


def shares(now, then):
    (x1, n1), (x2, n2) = now, then
    p = float(fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])[1])
    e = evidence(n1 + n2, p)
    pooled = (x1 + x2) / max(n1 + n2, 1)
    detectable = None
    if e == "chance" and n1 > 0 and n2 > 0:
        detectable = (norm.ppf(0.975) + norm.ppf(0.8)) * math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return {"now": {"count": x1, "of": n1}, "before": {"count": x2, "of": n2},
            "test": "fisher_exact", "p_value": p, "holm_p_value": None, "groups_compared": 1,
            "observations": n1 + n2, "evidence": e, "detectable_difference": detectable}


def holm(ps):
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    out, running = [0.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        out[i] = running
    return out


def non_engineering(d):
    f = d["declaration"]["declared_by_function"]
    known = sum(n for k, n in f.items() if k != "unknown")
    return sum(n for k, n in f.items() if k not in ("unknown", "engineering")), known


def over_target(d):
    c = d["comms"]
    share, n = c["incidents_over_target"], c["incidents_with_updates"]
    return (round(share * n), n) if share is not None else None


out = {}
r, rb = tool["time_to_retro"], before["time_to_retro"]
if r["coverage"] is not None and rb["coverage"] is not None:
    out["retro"] = shares((r["held"], r["required"]), (rb["held"], rb["required"]))
a, ab = tool["action_items"], before["action_items"]
if a["completion_rate"] is not None and ab["completion_rate"] is not None:
    out["action_items"] = shares((a["done"], a["done"] + a["open"]), (ab["done"], ab["done"] + ab["open"]))
if tool["responders"]["people"] and before["responders"]["people"] and before["incidents"]["count"]:
    out["responders"] = shares((tool["responders"]["people"][0]["incidents"], tool["incidents"]["count"]),
                               (before["responders"]["people"][0]["incidents"], before["incidents"]["count"]))
rc, rcb = tool["recovery"], before["recovery"]
if rc["nights_with_activity"] and rcb["nights_with_activity"]:
    out["recovery"] = shares((rc["nights_without_rest"], rc["nights_with_activity"]),
                             (rcb["nights_without_rest"], rcb["nights_with_activity"]))
if tool["declaration"]["non_engineering_share"] is not None and before["declaration"]["non_engineering_share"] is not None:
    out["declaration"] = shares(non_engineering(tool), non_engineering(before))
if over_target(tool) and over_target(before):
    out["comms"] = shares(over_target(tool), over_target(before))
if tool["hotspots"]:
    h = tool["hotspots"][0]
    tested = [x["change_p_value"] for x in tool["hotspots"] if x["change_p_value"] is not None]
    adjusted = holm(tested)[0] if h["change_p_value"] is not None else None
    n = h["incidents"] + h["previous"]
    out["hotspots"] = {"now": {"count": h["incidents"], "of": tool["incidents"]["count"]},
                       "before": {"count": h["previous"], "of": before["incidents"]["count"]},
                       "test": "binomial", "p_value": h["change_p_value"],
                       "holm_p_value": adjusted if len(tested) > 1 else None,
                       "groups_compared": len(tested), "observations": n,
                       "evidence": evidence(n, adjusted) if h["previous"] > 0 else None,
                       "detectable_difference": None}
c, cb = tool["changes"], before["changes"]
if c["deployments"] and cb["deployments"] and tool["incidents"]["count"]:
    out["changes"] = shares((c["deployments_with_incident"], c["deployments"]),
                            (cb["deployments_with_incident"], cb["deployments"]))
th, thb = tool["themes"], before["themes"]
if th["by_theme"] and th["by_theme"][0]["incidents"] and thb["tagged"]:
    t = th["by_theme"][0]
    k0 = next((x["incidents"] for x in thb["by_theme"] if x["theme"] == t["theme"]), 0)
    p = float(fisher_exact([[t["incidents"], th["tagged"] - t["incidents"]], [k0, thb["tagged"] - k0]])[1])
    ps = [float(fisher_exact([[x["incidents"], th["tagged"] - x["incidents"]],
                              [x["previous"], thb["tagged"] - x["previous"]]])[1]) for x in th["by_theme"]]
    adjusted = holm(ps)[0]
    n = th["tagged"] + thb["tagged"]
    out["themes"] = {"now": {"count": t["incidents"], "of": th["tagged"]},
                     "before": {"count": k0, "of": thb["tagged"]}, "test": "fisher_exact", "p_value": p,
                     "holm_p_value": adjusted if len(ps) > 1 else None, "groups_compared": len(ps),
                     "observations": n, "evidence": evidence(n, adjusted if len(ps) > 1 else p),
                     "detectable_difference": None}
json.dump(out, sys.stdout, indent=1)
