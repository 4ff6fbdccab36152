SELECT
  "t2"."order_id",
  "t3"."name",
  "t2"."amount"
FROM "ibisconf"."shop"."orders" AS "t2"
INNER JOIN "ibisconf"."shop"."customers" AS "t3"
  ON "t2"."customer_id" = "t3"."customer_id"