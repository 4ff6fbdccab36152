SELECT
  "t4"."order_id",
  "t4"."customer_id",
  "t4"."order_date",
  "t4"."status",
  "t4"."amount_dollars",
  "t4"."country_code",
  "t4"."is_completed",
  (
    ROW_NUMBER() OVER (
      PARTITION BY "t4"."customer_id"
      ORDER BY "t4"."order_date" ASC, "t4"."order_id" ASC
    ) - 1
  ) + 1 AS "customer_order_number"
FROM (
  SELECT
    "t2"."order_id",
    "t2"."customer_id",
    "t2"."order_date",
    "t2"."status",
    "t2"."amount_dollars",
    "t3"."country_code",
    "t2"."status" = 'completed' AS "is_completed"
  FROM "hive"."analytics"."stg_orders" AS "t2"
  LEFT OUTER JOIN "hive"."analytics"."stg_customers" AS "t3"
    ON "t2"."customer_id" = "t3"."customer_id"
) AS "t4"
