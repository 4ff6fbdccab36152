SELECT
  *
FROM "awsdatacatalog"."raw_shop"."customers"
