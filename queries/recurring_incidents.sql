-- Incidents that look like one shortly before them: an earlier incident at most N days before shares their alert key, or names the same service under the same title (without case). The recurrence metrics also count titles whose words mostly agree (Jaccard), which portable SQL does not express.
-- param since date 2000-01-01: first day counted (by start)
-- param until date 2100-01-01: day after the last day counted
-- param days number 30: how far back the earlier incident may be
WITH inc AS (
    SELECT incident_id, number, title, LOWER(title) AS lower_title,
           EXTRACT(EPOCH FROM COALESCE(started_at, declared_at)) AS t
    FROM incidents
    WHERE NOT COALESCE(is_drill, FALSE) AND NOT COALESCE(is_maintenance, FALSE)
      AND COALESCE(started_at, declared_at) IS NOT NULL
),
keyed AS (
    SELECT DISTINCT incident_id, alert_key FROM alerts
    WHERE incident_id IS NOT NULL AND alert_key IS NOT NULL
),
by_key AS (
    SELECT later.incident_id, earlier.incident_id AS earlier_id, 'same alert key' AS reason
    FROM inc later
    JOIN keyed lk ON lk.incident_id = later.incident_id
    JOIN keyed ek ON ek.alert_key = lk.alert_key AND ek.incident_id <> later.incident_id
    JOIN inc earlier ON earlier.incident_id = ek.incident_id
    WHERE earlier.t < later.t AND later.t - earlier.t <= :days * 86400
),
by_title AS (
    SELECT later.incident_id, earlier.incident_id AS earlier_id, 'same service, same title' AS reason
    FROM inc later
    JOIN incident_services ls ON ls.incident_id = later.incident_id
    JOIN incident_services es ON es.service = ls.service AND es.incident_id <> later.incident_id
    JOIN inc earlier ON earlier.incident_id = es.incident_id
    WHERE earlier.lower_title = later.lower_title
      AND earlier.t < later.t AND later.t - earlier.t <= :days * 86400
),
pairs AS (
    SELECT * FROM by_key UNION SELECT * FROM by_title
)
SELECT later.incident_id, later.number, later.title,
       earlier.incident_id AS earlier_id, earlier.number AS earlier_number,
       (later.t - earlier.t) / 86400.0 AS days_apart,
       p.reason
FROM pairs p
JOIN inc later ON later.incident_id = p.incident_id
JOIN inc earlier ON earlier.incident_id = p.earlier_id
WHERE later.t >= :since AND later.t < :until
ORDER BY later.t, later.incident_id, earlier.t, earlier.incident_id, p.reason
