-- Incidents per product area (through the service catalog) in a date range, with SEV1-2 count.
-- param since date 2000-01-01: first day counted
-- param until date 2100-01-01: day after the last day counted
WITH pairs AS (
    SELECT DISTINCT i.incident_id, i.severity, c.product_area
    FROM incidents i
    JOIN incident_services s ON s.incident_id = i.incident_id
    JOIN services c ON c.service = s.service
    WHERE NOT COALESCE(i.is_drill, FALSE) AND NOT COALESCE(i.is_maintenance, FALSE)
      AND EXTRACT(EPOCH FROM COALESCE(i.declared_at, i.started_at)) >= :since
      AND EXTRACT(EPOCH FROM COALESCE(i.declared_at, i.started_at)) < :until
      AND c.product_area IS NOT NULL
)
SELECT product_area,
       COUNT(*) AS incidents,
       SUM(CASE WHEN severity IN ('SEV1', 'SEV2') THEN 1 ELSE 0 END) AS sev1_2
FROM pairs
GROUP BY product_area
ORDER BY incidents DESC, product_area
