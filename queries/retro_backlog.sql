-- Resolved SEV1-3 incidents still waiting for a retrospective at as_of, longest wait first.
-- param since date 2000-01-01: first day counted
-- param until date 2100-01-01: day after the last day counted
-- param as_of date latest: the instant the backlog is judged at
SELECT incident_id,
       title,
       severity,
       resolved_at,
       (:as_of - EXTRACT(EPOCH FROM resolved_at)) / 86400.0 AS days_waiting
FROM incidents
WHERE severity IN ('SEV1', 'SEV2', 'SEV3')
  AND NOT COALESCE(is_drill, FALSE) AND NOT COALESCE(is_maintenance, FALSE)
  AND EXTRACT(EPOCH FROM COALESCE(declared_at, started_at)) >= :since
  AND EXTRACT(EPOCH FROM COALESCE(declared_at, started_at)) < :until
  AND EXTRACT(EPOCH FROM resolved_at) <= :as_of
  AND (COALESCE(retro_held_at, retro_published_at) IS NULL OR EXTRACT(EPOCH FROM COALESCE(retro_held_at, retro_published_at)) > :as_of)
ORDER BY days_waiting DESC, incident_id
