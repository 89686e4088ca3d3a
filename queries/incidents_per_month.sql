-- Incidents per month (UTC) and severity, drills and maintenance excluded.
-- param since date 2000-01-01: first day counted
-- param until date 2100-01-01: day after the last day counted
SELECT strftime(COALESCE(declared_at, started_at), '%Y-%m') AS month,
       COALESCE(severity, 'unknown') AS severity,
       COUNT(*) AS incidents
FROM incidents
WHERE NOT COALESCE(is_drill, FALSE) AND NOT COALESCE(is_maintenance, FALSE)
  AND EXTRACT(EPOCH FROM COALESCE(declared_at, started_at)) >= :since
  AND EXTRACT(EPOCH FROM COALESCE(declared_at, started_at)) < :until
GROUP BY strftime(COALESCE(declared_at, started_at), '%Y-%m'), COALESCE(severity, 'unknown')
ORDER BY month, severity
