SELECT
  DATE("t1"."order_date") AS "date_day",
  COUNT(*) AS "orders",
  COUNT(DISTINCT "t1"."customer_id") AS "customers",
  CAST(ROUND(SUM("t1"."amount_dollars"), 2) AS DOUBLE) AS "revenue"
FROM (
  SELECT
    *
  FROM "hive"."analytics"."stg_orders" AS "t0"
  WHERE
    "t0"."status" = 'completed'
) AS "t1"
GROUP BY
  1
