SELECT
  "t3"."customer_id",
  "t3"."n_tags",
  TRIM(' 	
' FROM "t3"."tag") AS "tag",
  "t3"."info_id",
  "t3"."first"
FROM (
  SELECT
    "t2"."customer_id",
    "t2"."n_tags",
    IF(_u.pos = _u_2.pos_2, _u_2."tag") AS "tag",
    "t2"."info"."id" AS "info_id",
    "t2"."info"."first" AS "first"
  FROM (
    SELECT
      "t1"."customer_id",
      "t1"."tags",
      CARDINALITY("t1"."tags") AS "n_tags",
      TRY_CAST(ROW("t1"."customer_id", ELEMENT_AT("t1"."tags", 0 + 1)) AS ROW("id" BIGINT, "first" VARCHAR)) AS "info"
    FROM (
      SELECT
        "t0"."customer_id",
        SPLIT("t0"."tags", ',') AS "tags"
      FROM "hive"."shop"."customers" AS "t0"
    ) AS "t1"
  ) AS "t2"
  CROSS JOIN UNNEST(SEQUENCE(1, GREATEST(CARDINALITY("t2"."tags")))) AS _u(pos)
  CROSS JOIN UNNEST("t2"."tags") WITH ORDINALITY AS _u_2("tag", pos_2)
  WHERE
    _u.pos = _u_2.pos_2
    OR (
      _u.pos > CARDINALITY("t2"."tags") AND _u_2.pos_2 = CARDINALITY("t2"."tags")
    )
) AS "t3"