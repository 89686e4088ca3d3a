-- Open action items by team, oldest first, with their owner and age in days at as_of.
-- param as_of date latest: the instant ages are measured at (latest: the store's latest timestamp)
-- param min_age_days number 0: only items at least this old
SELECT COALESCE(team, 'unknown') AS team,
       item_id,
       title,
       owner,
       created_at,
       (:as_of - EXTRACT(EPOCH FROM created_at)) / 86400.0 AS age_days
FROM action_items
WHERE (status = 'open' OR EXTRACT(EPOCH FROM completed_at) > :as_of)
  AND EXTRACT(EPOCH FROM created_at) <= :as_of
  AND (:as_of - EXTRACT(EPOCH FROM created_at)) / 86400.0 >= :min_age_days
ORDER BY team, age_days DESC, item_id
