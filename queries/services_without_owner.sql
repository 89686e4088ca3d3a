-- Services that had incidents but have no owning team in the service catalog.
-- param since date 2000-01-01: first day counted
SELECT s.service, COUNT(DISTINCT s.incident_id) AS incidents
FROM incident_services s
JOIN incidents i ON i.incident_id = s.incident_id
LEFT JOIN services c ON c.service = s.service
WHERE c.team IS NULL AND EXTRACT(EPOCH FROM COALESCE(i.declared_at, i.started_at)) >= :since
GROUP BY s.service
ORDER BY incidents DESC, s.service
