SELECT
  "t2"."trade_id",
  "t2"."ticker",
  "t2"."qty",
  "t3"."price"
FROM "ibisconf"."shop"."trades" AS "t2"
ASOF LEFT JOIN "ibisconf"."shop"."prices" AS "t3"
  ON "t2"."ts" >= "t3"."ts" AND "t2"."ticker" = "t3"."ticker"