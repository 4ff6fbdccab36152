SELECT
  "t1"."order_id",
  "t1"."customer_id",
  RANK() OVER (
    PARTITION BY "t1"."customer_id"
    ORDER BY "t1"."amount" DESC
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
  ) - 1 AS "rnk",
  DENSE_RANK() OVER (
    PARTITION BY "t1"."customer_id"
    ORDER BY "t1"."amount" DESC
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
  ) - 1 AS "dense",
  ROW_NUMBER() OVER (
    PARTITION BY "t1"."customer_id"
    ORDER BY "t1"."amount" DESC, "t1"."order_id" ASC
    ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
  ) - 1 AS "rownum"
FROM (
  SELECT
    *
  FROM "ibisconf"."shop"."orders" AS "t0"
  WHERE
    "t0"."amount" IS NOT NULL
) AS "t1"