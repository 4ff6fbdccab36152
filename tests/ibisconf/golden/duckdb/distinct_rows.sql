SELECT DISTINCT
  "t0"."customer_id",
  "t0"."status"
FROM "ibisconf"."shop"."orders" AS "t0"