SELECT
  "t0"."customer_id",
  UPPER(TRIM(' 	
' FROM "t0"."name")) AS "upper",
  LOWER(TRIM(' 	
' FROM "t0"."name")) AS "lower",
  LENGTH(TRIM(' 	
' FROM "t0"."name")) AS "length",
  SUBSTR(
    TRIM(' 	
' FROM "t0"."name"),
    IF(
      (
        0 + 1
      ) >= 1,
      0 + 1,
      0 + 1 + LENGTH(TRIM(' 	
' FROM "t0"."name"))
    ),
    3
  ) AS "first3",
  CONCAT(
    CONCAT(CONCAT(TRIM(' 	
' FROM "t0"."name"), ' <'), "t0"."email"),
    '>'
  ) AS "label",
  STARTS_WITH(TRIM(' 	
' FROM "t0"."name"), 'A') AS "starts_a",
  STRPOS("t0"."email", '.') > 0 AS "has_dot",
  REPLACE(TRIM(' 	
' FROM "t0"."name"), ' ', '_') AS "no_spaces",
  LPAD(
    CAST("t0"."customer_id" AS VARCHAR),
    GREATEST(LENGTH(CAST("t0"."customer_id" AS VARCHAR)), 4),
    '0'
  ) AS "padded",
  STRPOS("t0"."email", '@') - 1 AS "domain_pos"
FROM "hive"."shop"."customers" AS "t0"