-- Incidents per tag value and quarter (by declaration), the raw material of themes (an incident's tags and its postmortem tickets' labels and components): the themes metrics map these values to themes with [themes]; the tool's own incidentlens: tags left out.
-- param since date 2000-01-01: first day counted (by declaration)
-- param until date 2100-01-01: day after the last day counted
WITH inc AS (
    SELECT incident_id, COALESCE(declared_at, started_at) AS at
    FROM incidents
    WHERE NOT COALESCE(is_drill, FALSE) AND NOT COALESCE(is_maintenance, FALSE)
      AND COALESCE(declared_at, started_at) IS NOT NULL
      AND EXTRACT(EPOCH FROM COALESCE(declared_at, started_at)) >= :since
      AND EXTRACT(EPOCH FROM COALESCE(declared_at, started_at)) < :until
),
-- An incident's own tags, and the labels and components of its postmortem tickets.
tags AS (
    SELECT t.incident_id, t.tag, t.value
    FROM incident_tags t
    WHERE t.value IS NOT NULL AND t.tag NOT LIKE 'incidentlens:%'
    UNION ALL
    SELECT r.incident_id, k.tag, k.value
    FROM retro_tags k
    JOIN retros r ON r.retro_id = k.retro_id
    WHERE r.incident_id IS NOT NULL AND k.value IS NOT NULL
),
tagged AS (
    SELECT DISTINCT incident_id, tag, value FROM tags
)
SELECT EXTRACT(YEAR FROM i.at) AS year,
       CAST(FLOOR((EXTRACT(MONTH FROM i.at) - 1) / 3) AS INTEGER) + 1 AS quarter,
       g.tag,
       g.value,
       COUNT(DISTINCT i.incident_id) AS incidents
FROM inc i
JOIN tagged g ON g.incident_id = i.incident_id
GROUP BY year, quarter, g.tag, g.value
ORDER BY year, quarter, incidents DESC, g.tag, g.value
