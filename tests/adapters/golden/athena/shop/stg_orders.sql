SELECT
  "t0"."order_id",
  "t0"."customer_id",
  "t0"."order_date",
  CASE LOWER(TRIM(' 	

' FROM "t0"."status"))
    WHEN 'completed'
    THEN 'completed'
    WHEN 'complete'
    THEN 'completed'
    WHEN 'shipped'
    THEN 'shipped'
    WHEN 'returned'
    THEN 'returned'
    WHEN 'cancelled'
    THEN 'cancelled'
    WHEN 'canceled'
    THEN 'cancelled'
    WHEN 'pending'
    THEN 'pending'
    ELSE 'unknown'
  END AS "status",
  "t0"."total_amount_cents",
  CAST(ROUND(CAST("t0"."total_amount_cents" AS DOUBLE) / 100, 2) AS DOUBLE) AS "amount_dollars"
FROM "awsdatacatalog"."raw_shop"."orders" AS "t0"
WHERE
  DATE("t0"."order_date") BETWEEN FROM_ISO8601_DATE('2023-01-01') AND FROM_ISO8601_DATE('2024-12-31')
