-- The schema for g2.pgbench. Three tables of lists (a key k lives in append_<k % 3>); a list is a
-- jsonb array that transactions append to. Every appended value comes from val_seq, so each is
-- unique and its position in the final list gives the order of the appends (the version order).
-- log holds one row per committed transaction, written by the client after its COMMIT succeeded.
CREATE TABLE append_0 (k text PRIMARY KEY, v jsonb NOT NULL);
CREATE TABLE append_1 (k text PRIMARY KEY, v jsonb NOT NULL);
CREATE TABLE append_2 (k text PRIMARY KEY, v jsonb NOT NULL);
CREATE SEQUENCE txn_seq;
CREATE SEQUENCE val_seq;
CREATE TABLE log (
  tx bigint PRIMARY KEY,      -- txn_seq: the transaction's number
  client int NOT NULL,        -- pgbench's client_id
  xid xid8,                   -- pg_current_xact_id_if_assigned() just before COMMIT (NULL: wrote nothing)
  snap pg_snapshot NOT NULL,  -- pg_current_snapshot() in the transaction (its one snapshot)
  began timestamptz NOT NULL, -- transaction_timestamp()
  ended timestamptz NOT NULL, -- clock_timestamp() after COMMIT returned
  declared_ro boolean NOT NULL,
  o1 text, o2 text, o3 text, o4 text  -- the micro-ops: 'r <k> <list read>' or 'a <k> <value>'
);
-- With -D upd=1 the transactions UPDATE rows that must exist: pre-create enough keys.
INSERT INTO append_0 SELECT g::text, '[]' FROM generate_series(0, :prekeys) g WHERE g % 3 = 0;
INSERT INTO append_1 SELECT g::text, '[]' FROM generate_series(0, :prekeys) g WHERE g % 3 = 1;
INSERT INTO append_2 SELECT g::text, '[]' FROM generate_series(0, :prekeys) g WHERE g % 3 = 2;
VACUUM ANALYZE;
