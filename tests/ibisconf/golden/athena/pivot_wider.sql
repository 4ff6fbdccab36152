SELECT
  "t1"."customer_id",
  SUM("t1"."amount") FILTER(WHERE
    "t1"."status" = 'completed') AS "completed",
  SUM("t1"."amount") FILTER(WHERE
    "t1"."status" = 'returned') AS "returned",
  SUM("t1"."amount") FILTER(WHERE
    "t1"."status" = 'shipped') AS "shipped"
FROM (
  SELECT
    "t0"."customer_id",
    "t0"."status",
    "t0"."amount"
  FROM "awsdatacatalog"."shop"."orders" AS "t0"
) AS "t1"
GROUP BY
  1