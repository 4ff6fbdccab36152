SELECT DISTINCT
  "t0"."customer_id",
  "t0"."status"
FROM "awsdatacatalog"."shop"."orders" AS "t0"