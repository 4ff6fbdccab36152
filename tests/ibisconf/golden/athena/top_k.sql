SELECT
  *
FROM (
  SELECT
    "t5"."status",
    "t5"."status_count" AS "n",
    'topk' AS "kind"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t0"."status",
        COUNT(*) AS "status_count"
      FROM "awsdatacatalog"."shop"."orders" AS "t0"
      GROUP BY
        1
    ) AS "t1"
    ORDER BY
      "t1"."status_count" DESC
    LIMIT 2
  ) AS "t5"
) AS "t7"
UNION ALL
SELECT
  *
FROM (
  SELECT
    CAST("t3"."order_id" AS VARCHAR) AS "status",
    "t3"."customer_id" AS "n",
    'largest' AS "kind"
  FROM (
    SELECT
      *
    FROM "awsdatacatalog"."shop"."orders" AS "t0"
    WHERE
      "t0"."amount" IS NOT NULL
    ORDER BY
      "t0"."amount" DESC,
      "t0"."order_id" ASC
    LIMIT 3
  ) AS "t3"
) AS "t6"