-- Who declares incidents: declarations per function and team of the declarer.
-- param since date 2000-01-01: first day counted
-- param until date 2100-01-01: day after the last day counted
SELECT COALESCE(p.function, 'unknown') AS function,
       COALESCE(p.team, 'unknown') AS team,
       COUNT(*) AS declared
FROM incidents i
LEFT JOIN people p ON p.person_id = i.declared_by
WHERE i.declared_by IS NOT NULL
  AND NOT COALESCE(i.is_drill, FALSE) AND NOT COALESCE(i.is_maintenance, FALSE)
  AND EXTRACT(EPOCH FROM COALESCE(i.declared_at, i.started_at)) >= :since
  AND EXTRACT(EPOCH FROM COALESCE(i.declared_at, i.started_at)) < :until
GROUP BY COALESCE(p.function, 'unknown'), COALESCE(p.team, 'unknown')
ORDER BY declared DESC, function, team
