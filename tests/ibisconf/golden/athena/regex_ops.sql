SELECT
  "t0"."customer_id",
  REGEXP_LIKE("t0"."email", '@example\.(com|org)$') AS "is_example",
  REGEXP_EXTRACT("t0"."email", '^([a-z]+)[.@]', 1) AS "user",
  REGEXP_EXTRACT("t0"."email", '@(.+)$', 1) AS "domain",
  REGEXP_REPLACE("t0"."email", '[aeiou]', '*') AS "masked"
FROM "awsdatacatalog"."shop"."customers" AS "t0"