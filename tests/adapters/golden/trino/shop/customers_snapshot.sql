SELECT
  *
FROM "hive"."raw_shop"."customers"
