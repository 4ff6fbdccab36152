SELECT
  "t2"."customer_id",
  "t3"."customer_id" AS "order_customer_id",
  "t2"."name",
  "t3"."order_id"
FROM "ibisconf"."shop"."customers" AS "t2"
RIGHT OUTER JOIN "ibisconf"."shop"."orders" AS "t3"
  ON "t2"."customer_id" = "t3"."customer_id"