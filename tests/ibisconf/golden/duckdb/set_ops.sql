WITH "t2" AS (
  SELECT
    "t0"."customer_id"
  FROM "ibisconf"."shop"."orders" AS "t0"
), "t3" AS (
  SELECT
    "t1"."customer_id"
  FROM "ibisconf"."shop"."customers" AS "t1"
)
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t6"."customer_id",
      'union' AS "op"
    FROM (
      SELECT
        *
      FROM "t2" AS "t4"
      UNION
      SELECT
        *
      FROM "t3" AS "t5"
    ) AS "t6"
  ) AS "t10"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t7"."customer_id",
      'union_all' AS "op"
    FROM (
      SELECT
        *
      FROM "t2" AS "t4"
      UNION ALL
      SELECT
        *
      FROM "t3" AS "t5"
    ) AS "t7"
  ) AS "t11"
) AS "t14"
UNION ALL
SELECT
  *
FROM (
  SELECT
    *
  FROM (
    SELECT
      "t8"."customer_id",
      'intersect' AS "op"
    FROM (
      SELECT
        *
      FROM "t2" AS "t4"
      INTERSECT
      SELECT
        *
      FROM "t3" AS "t5"
    ) AS "t8"
  ) AS "t12"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t9"."customer_id",
      'difference' AS "op"
    FROM (
      SELECT
        *
      FROM "t3" AS "t5"
      EXCEPT
      SELECT
        *
      FROM "t2" AS "t4"
    ) AS "t9"
  ) AS "t13"
) AS "t15"