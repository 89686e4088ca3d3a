-- Pages per person in a date range, with those sent outside 08:00-18:00 UTC on weekdays (the metrics use each person's own zone).
-- param since date 2000-01-01: first day counted (by page time)
-- param until date 2100-01-01: day after the last day counted
SELECT person_id,
       COUNT(*) AS pages,
       COUNT(DISTINCT incident_id) AS incidents_paged,
       SUM(CASE WHEN acknowledged_at IS NOT NULL THEN 1 ELSE 0 END) AS acknowledged,
       SUM(CASE WHEN EXTRACT(ISODOW FROM sent_at) >= 6
                  OR EXTRACT(HOUR FROM sent_at) < 8
                  OR EXTRACT(HOUR FROM sent_at) >= 18 THEN 1 ELSE 0 END) AS off_hours_utc
FROM pages
WHERE person_id IS NOT NULL AND EXTRACT(EPOCH FROM sent_at) >= :since AND EXTRACT(EPOCH FROM sent_at) < :until
GROUP BY person_id
ORDER BY pages DESC, person_id
