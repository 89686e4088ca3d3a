-- Incidents whose longest gap between consecutive status updates exceeds a target.
-- param since date 2000-01-01: first day counted
-- param until date 2100-01-01: day after the last day counted
-- param target_minutes number 60: the longest acceptable gap
WITH updates AS (
    SELECT e.incident_id, EXTRACT(EPOCH FROM e.at) AS t
    FROM events e
    JOIN incidents i ON i.incident_id = e.incident_id
    WHERE e.kind = 'status_update'
      AND EXTRACT(EPOCH FROM COALESCE(i.declared_at, i.started_at)) >= :since
      AND EXTRACT(EPOCH FROM COALESCE(i.declared_at, i.started_at)) < :until
),
previous AS (
    SELECT a.incident_id, a.t, MAX(b.t) AS previous_t
    FROM updates a
    JOIN updates b ON b.incident_id = a.incident_id AND b.t < a.t
    GROUP BY a.incident_id, a.t
),
gaps AS (
    SELECT incident_id, (t - previous_t) / 60.0 AS gap_minutes
    FROM previous
),
longest AS (
    SELECT incident_id, COUNT(*) AS gaps, MAX(gap_minutes) AS longest_gap_minutes
    FROM gaps
    GROUP BY incident_id
)
SELECT incident_id, gaps, longest_gap_minutes
FROM longest
WHERE longest_gap_minutes > :target_minutes
ORDER BY longest_gap_minutes DESC, incident_id
