SELECT
  "t6"."customer_id",
  "t6"."first_name",
  "t6"."last_name",
  "t6"."email",
  "t6"."country_code",
  "t6"."country_name",
  "t6"."signup_date",
  "t6"."order_count",
  "t6"."completed_orders",
  "t6"."lifetime_value",
  "t6"."first_order_date",
  "t6"."last_order_date",
  DATE_DIFF(
    'DAY',
    DATE_TRUNC('DAY', "t6"."last_order_date"),
    DATE_TRUNC('DAY', FROM_ISO8601_DATE('2024-12-31'))
  ) AS "days_since_last_order",
  CASE
    WHEN "t6"."order_count" = 0
    THEN 'No Purchases'
    WHEN "t6"."lifetime_value" >= 1500
    THEN 'High Value'
    WHEN "t6"."lifetime_value" >= 500
    THEN 'Medium Value'
    ELSE 'Low Value'
  END AS "customer_segment",
  CASE
    WHEN "t6"."last_order_date" IS NULL
    THEN 'Never Purchased'
    WHEN DATE_DIFF(
      'DAY',
      DATE_TRUNC('DAY', "t6"."last_order_date"),
      DATE_TRUNC('DAY', FROM_ISO8601_DATE('2024-12-31'))
    ) <= 90
    THEN 'Active'
    WHEN DATE_DIFF(
      'DAY',
      DATE_TRUNC('DAY', "t6"."last_order_date"),
      DATE_TRUNC('DAY', FROM_ISO8601_DATE('2024-12-31'))
    ) <= 365
    THEN 'At Risk'
    ELSE 'Inactive'
  END AS "recency_status"
FROM (
  SELECT
    "t3"."customer_id",
    "t3"."first_name",
    "t3"."last_name",
    "t3"."email",
    "t3"."country_code",
    COALESCE("t5"."country_name", 'Unknown') AS "country_name",
    "t3"."signup_date",
    COALESCE("t4"."order_count", 0) AS "order_count",
    COALESCE("t4"."completed_orders", 0) AS "completed_orders",
    COALESCE("t4"."lifetime_value", CAST(0.0 AS DOUBLE)) AS "lifetime_value",
    "t4"."first_order_date",
    "t4"."last_order_date"
  FROM "awsdatacatalog"."analytics"."stg_customers" AS "t3"
  LEFT OUTER JOIN "awsdatacatalog"."analytics"."int_customer_order_summary" AS "t4"
    ON "t3"."customer_id" = "t4"."customer_id"
  LEFT OUTER JOIN "awsdatacatalog"."analytics"."country_codes" AS "t5"
    ON "t3"."country_code" = "t5"."country_code"
) AS "t6"
