SELECT DISTINCT
  "t0"."customer_id",
  "t0"."status"
FROM "hive"."shop"."orders" AS "t0"