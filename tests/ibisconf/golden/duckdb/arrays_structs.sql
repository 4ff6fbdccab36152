SELECT
  "t3"."customer_id",
  "t3"."n_tags",
  TRIM("t3"."tag", ' 	
') AS "tag",
  "t3"."info_id",
  "t3"."first"
FROM (
  SELECT
    "t2"."customer_id",
    "t2"."n_tags",
    UNNEST("t2"."tags") AS "tag",
    "t2"."info"."id" AS "info_id",
    "t2"."info"."first" AS "first"
  FROM (
    SELECT
      "t1"."customer_id",
      "t1"."tags",
      ARRAY_LENGTH("t1"."tags") AS "n_tags",
      {'id': "t1"."customer_id", 'first': LIST_EXTRACT("t1"."tags", 1)} AS "info"
    FROM (
      SELECT
        "t0"."customer_id",
        STR_SPLIT("t0"."tags", ',') AS "tags"
      FROM "ibisconf"."shop"."customers" AS "t0"
    ) AS "t1"
  ) AS "t2"
) AS "t3"