-- Incidents per service in a date range, with SEV1-2 count, severity-weighted score and impact minutes.
-- param since date 2000-01-01: first day counted (incidents by declared time, else start)
-- param until date 2100-01-01: day after the last day counted
WITH inc AS (
    SELECT incident_id, severity, started_at, resolved_at, COALESCE(declared_at, started_at) AS anchor
    FROM incidents
    WHERE NOT COALESCE(is_drill, FALSE) AND NOT COALESCE(is_maintenance, FALSE)
)
SELECT s.service,
       COUNT(*) AS incidents,
       SUM(CASE WHEN i.severity IN ('SEV1', 'SEV2') THEN 1 ELSE 0 END) AS sev1_2,
       SUM(CASE i.severity WHEN 'SEV1' THEN 8.0 WHEN 'SEV2' THEN 4.0 WHEN 'SEV3' THEN 2.0
                           WHEN 'SEV4' THEN 1.0 WHEN 'SEV5' THEN 0.5 ELSE 1.0 END) AS weighted_score,
       SUM(CASE WHEN i.resolved_at >= i.started_at
                THEN (EXTRACT(EPOCH FROM i.resolved_at) - EXTRACT(EPOCH FROM i.started_at)) / 60.0
                ELSE 0.0 END) AS impact_minutes
FROM inc i
JOIN incident_services s ON s.incident_id = i.incident_id
WHERE EXTRACT(EPOCH FROM i.anchor) >= :since AND EXTRACT(EPOCH FROM i.anchor) < :until
GROUP BY s.service
ORDER BY weighted_score DESC, s.service
