-- Incidents that began within N days after an earlier incident on the same service.
-- param since date 2000-01-01: first day counted (by start)
-- param until date 2100-01-01: day after the last day counted
-- param days number 30: the repeat window in days
-- param service text %: only services matching this LIKE pattern
WITH inc AS (
    SELECT i.incident_id, i.title, s.service, i.started_at
    FROM incidents i
    JOIN incident_services s ON s.incident_id = i.incident_id
    WHERE NOT COALESCE(i.is_drill, FALSE) AND NOT COALESCE(i.is_maintenance, FALSE)
      AND i.started_at IS NOT NULL
)
SELECT later.service,
       later.incident_id,
       later.title,
       later.started_at,
       COUNT(*) AS earlier_within_window,
       MIN((EXTRACT(EPOCH FROM later.started_at) - EXTRACT(EPOCH FROM earlier.started_at)) / 86400.0) AS days_since_previous
FROM inc later
JOIN inc earlier
  ON earlier.service = later.service
 AND earlier.started_at < later.started_at
WHERE EXTRACT(EPOCH FROM later.started_at) >= :since AND EXTRACT(EPOCH FROM later.started_at) < :until
  AND EXTRACT(EPOCH FROM later.started_at) - EXTRACT(EPOCH FROM earlier.started_at) <= :days * 86400
  AND later.service LIKE :service
GROUP BY later.service, later.incident_id, later.title, later.started_at
ORDER BY later.service, later.started_at, later.incident_id
