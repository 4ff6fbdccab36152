SELECT
  "t0"."order_id",
  LAG("t0"."amount") OVER (PARTITION BY "t0"."customer_id" ORDER BY "t0"."ordered_at" ASC) AS "prev_amount",
  LEAD("t0"."amount") OVER (PARTITION BY "t0"."customer_id" ORDER BY "t0"."ordered_at" ASC) AS "next_amount",
  LAG("t0"."status", 2, 'none') OVER (PARTITION BY "t0"."customer_id" ORDER BY "t0"."ordered_at" ASC) AS "prev2_status"
FROM "awsdatacatalog"."shop"."orders" AS "t0"