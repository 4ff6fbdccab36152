SELECT
  "t1"."region",
  "t1"."__pivoted__"."quarter" AS "quarter",
  "t1"."__pivoted__"."sales" AS "sales"
FROM (
  SELECT
    "t0"."region",
    UNNEST(
      CAST([{'quarter': 'q1', 'sales': "t0"."q1"}, {'quarter': 'q2', 'sales': "t0"."q2"}] AS STRUCT("quarter" TEXT, "sales" BIGINT)[])
    ) AS "__pivoted__"
  FROM "ibisconf"."shop"."quarterly" AS "t0"
) AS "t1"