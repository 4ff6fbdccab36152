SELECT
  "t2"."order_id",
  DATE_TRUNC('DAY', "t2"."ordered_at") AS "day",
  DATE_TRUNC('MONTH', "t2"."ordered_at") AS "month",
  DATE_TRUNC('HOUR', "t2"."ordered_at") AS "hour",
  CAST("t2"."ordered_at" AS DATE) AS "order_date",
  "t2"."ordered_at" + INTERVAL '3' DAY AS "due",
  CAST("t2"."ordered_at" AS DATE) - INTERVAL '7' DAY AS "week_before",
  EXTRACT(year FROM "t2"."ordered_at") AS "year",
  EXTRACT(month FROM "t2"."ordered_at") AS "month_no",
  (
    DAYOFWEEK("t2"."ordered_at") + 6
  ) % 7 AS "weekday",
  DATE_DIFF('DAY', "t3"."signup_date", CAST("t2"."ordered_at" AS DATE)) AS "days_since_signup"
FROM "ibisconf"."shop"."orders" AS "t2"
INNER JOIN "ibisconf"."shop"."customers" AS "t3"
  ON "t2"."customer_id" = "t3"."customer_id"