SELECT
  "t2"."order_id",
  DATE_TRUNC('DAY', "t2"."ordered_at") AS "day",
  DATE_TRUNC('MONTH', "t2"."ordered_at") AS "month",
  DATE_TRUNC('HOUR', "t2"."ordered_at") AS "hour",
  DATE("t2"."ordered_at") AS "order_date",
  "t2"."ordered_at" + INTERVAL '3' DAY AS "due",
  DATE("t2"."ordered_at") - INTERVAL '7' DAY AS "week_before",
  EXTRACT(year FROM "t2"."ordered_at") AS "year",
  EXTRACT(month FROM "t2"."ordered_at") AS "month_no",
  CAST((
    DOW("t2"."ordered_at") + 6
  ) % 7 AS SMALLINT) AS "weekday",
  DATE_DIFF(
    'DAY',
    DATE_TRUNC('DAY', "t3"."signup_date"),
    DATE_TRUNC('DAY', DATE("t2"."ordered_at"))
  ) AS "days_since_signup"
FROM "hive"."shop"."orders" AS "t2"
INNER JOIN "hive"."shop"."customers" AS "t3"
  ON "t2"."customer_id" = "t3"."customer_id"