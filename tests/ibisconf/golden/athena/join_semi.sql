SELECT
  "t2"."customer_id",
  "t2"."name"
FROM "awsdatacatalog"."shop"."customers" AS "t2"
WHERE
  EXISTS(
    SELECT
      1
    FROM "awsdatacatalog"."shop"."orders" AS "t3"
    WHERE
      "t2"."customer_id" = "t3"."customer_id"
  )