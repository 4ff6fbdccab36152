SELECT
  "t0"."order_id",
  CASE
    WHEN "t0"."amount" >= 100
    THEN 'large'
    WHEN "t0"."amount" >= 20
    THEN 'medium'
    ELSE 'small'
  END AS "size",
  CASE "t0"."status" WHEN 'completed' THEN 1 WHEN 'returned' THEN -1 ELSE 0 END AS "status_code",
  CASE WHEN "t0"."status" = 'completed' THEN TRUE ELSE FALSE END AS "is_done",
  COALESCE("t0"."note", "t0"."status") AS "note_or_status",
  COALESCE("t0"."amount", 0) AS "amount_or_zero"
FROM "ibisconf"."shop"."orders" AS "t0"