SELECT
  "t0"."order_id",
  SUM("t0"."amount") OVER (
    PARTITION BY "t0"."customer_id"
    ORDER BY "t0"."order_id" ASC
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS "running_total",
  SUM("t0"."amount") OVER (ORDER BY "t0"."order_id" ASC ROWS BETWEEN 1 preceding AND CURRENT ROW) AS "moving_sum",
  SUM("t0"."amount") OVER (
    PARTITION BY "t0"."customer_id"
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
  ) AS "customer_total"
FROM "awsdatacatalog"."shop"."orders" AS "t0"