-- The two time helpers of 0001 were IMMUTABLE, but their bodies call STABLE
-- operators (timestamptz arithmetic and extract depend on the session's
-- time zone in general), and PostgreSQL inlines a SQL function only when
-- its body is no more volatile than the function claims. So every call ran
-- through the SQL-function executor: about ten per ledger transfer. STABLE
-- is the truth for these bodies and lets the planner inline them. No index
-- or constraint uses them, which IMMUTABLE would be needed for.
ALTER FUNCTION micros_to_ts(bigint) STABLE;
ALTER FUNCTION ts_to_micros(timestamptz) STABLE;
