SELECT
  "t2"."customer_id",
  "t2"."name"
FROM "ibisconf"."shop"."customers" AS "t2"
SEMI JOIN "ibisconf"."shop"."orders" AS "t3"
  ON "t2"."customer_id" = "t3"."customer_id"