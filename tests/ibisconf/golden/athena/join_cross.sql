SELECT
  "t4"."customer_id",
  "t5"."status"
FROM (
  SELECT
    "t0"."customer_id"
  FROM "awsdatacatalog"."shop"."customers" AS "t0"
) AS "t4"
CROSS JOIN (
  SELECT DISTINCT
    "t1"."status"
  FROM "awsdatacatalog"."shop"."orders" AS "t1"
) AS "t5"