SELECT
  "t1"."region",
  "t1"."__pivoted__"."quarter" AS "quarter",
  "t1"."__pivoted__"."sales" AS "sales"
FROM (
  SELECT
    "t0"."region",
    IF(_u.pos = _u_2.pos_2, _u_2."__pivoted__") AS "__pivoted__"
  FROM "awsdatacatalog"."shop"."quarterly" AS "t0"
  CROSS JOIN UNNEST(SEQUENCE(
    1,
    GREATEST(
      CARDINALITY(
        ARRAY[TRY_CAST(ROW('q1', "t0"."q1") AS ROW("quarter" VARCHAR, "sales" BIGINT)), TRY_CAST(ROW('q2', "t0"."q2") AS ROW("quarter" VARCHAR, "sales" BIGINT))]
      )
    )
  )) AS _u(pos)
  CROSS JOIN UNNEST(ARRAY[TRY_CAST(ROW('q1', "t0"."q1") AS ROW("quarter" VARCHAR, "sales" BIGINT)), TRY_CAST(ROW('q2', "t0"."q2") AS ROW("quarter" VARCHAR, "sales" BIGINT))]) WITH ORDINALITY AS _u_2("__pivoted__", pos_2)
  WHERE
    _u.pos = _u_2.pos_2
    OR (
      _u.pos > CARDINALITY(
        ARRAY[TRY_CAST(ROW('q1', "t0"."q1") AS ROW("quarter" VARCHAR, "sales" BIGINT)), TRY_CAST(ROW('q2', "t0"."q2") AS ROW("quarter" VARCHAR, "sales" BIGINT))]
      )
      AND _u_2.pos_2 = CARDINALITY(
        ARRAY[TRY_CAST(ROW('q1', "t0"."q1") AS ROW("quarter" VARCHAR, "sales" BIGINT)), TRY_CAST(ROW('q2', "t0"."q2") AS ROW("quarter" VARCHAR, "sales" BIGINT))]
      )
    )
) AS "t1"