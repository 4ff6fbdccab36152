SELECT
  "t0"."customer_id",
  UPPER(TRIM("t0"."name", ' 	
')) AS "upper",
  LOWER(TRIM("t0"."name", ' 	
')) AS "lower",
  LENGTH(TRIM("t0"."name", ' 	
')) AS "length",
  SUBSTRING(
    TRIM("t0"."name", ' 	
'),
    CASE
      WHEN (
        0 + 1
      ) >= 1
      THEN 0 + 1
      ELSE 0 + 1 + LENGTH(TRIM("t0"."name", ' 	
'))
    END,
    3
  ) AS "first3",
  TRIM("t0"."name", ' 	
') || ' <' || "t0"."email" || '>' AS "label",
  STARTS_WITH(TRIM("t0"."name", ' 	
'), 'A') AS "starts_a",
  CONTAINS("t0"."email", '.') AS "has_dot",
  REPLACE(TRIM("t0"."name", ' 	
'), ' ', '_') AS "no_spaces",
  CASE
    WHEN 4 <= LENGTH(CAST("t0"."customer_id" AS TEXT))
    THEN CAST("t0"."customer_id" AS TEXT)
    ELSE REPEAT('0', 4 - LENGTH(CAST("t0"."customer_id" AS TEXT))) || CAST("t0"."customer_id" AS TEXT)
  END AS "padded",
  STRPOS("t0"."email", '@') - 1 AS "domain_pos"
FROM "ibisconf"."shop"."customers" AS "t0"