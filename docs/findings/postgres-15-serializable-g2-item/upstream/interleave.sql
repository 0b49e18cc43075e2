-- The G2-item in one fixed interleaving of three serializable transactions, driven from one psql
-- session through dblink. With :hold = 1 a debugger holds T2's backend at the entry of
-- ReleasePredicateLocks(), i.e. after T2's COMMIT has made T2 visible (ProcArrayEndTransaction)
-- and before T2's SSI commit bookkeeping; with :hold = 0 nothing is held (the control).
--   psql -X -v hold=1 -v ro='' -f interleave.sql      (run by interleave.sh)
\set ON_ERROR_STOP 0
\pset footer off
CREATE EXTENSION IF NOT EXISTS dblink;
DROP TABLE IF EXISTS t;
CREATE TABLE t (k int PRIMARY KEY, v int NOT NULL);
INSERT INTO t VALUES (1, 0), (2, 0);   -- row 1 is "a", row 2 is "b"
SELECT dblink_connect('s1', :'conn'), dblink_connect('s2', :'conn'), dblink_connect('s3', :'conn');

\echo '-- T1 (pivot): BEGIN; write a'
SELECT dblink_exec('s1', 'BEGIN ISOLATION LEVEL SERIALIZABLE');
SELECT dblink_exec('s1', 'UPDATE t SET v = v + 1 WHERE k = 1');
\echo '-- T2: BEGIN; write b'
SELECT dblink_exec('s2', 'BEGIN ISOLATION LEVEL SERIALIZABLE');
SELECT dblink_exec('s2', 'UPDATE t SET v = v + 10 WHERE k = 2');
\echo '-- T1 reads b: the old value 0 (T1 rw-> T2)'
SELECT * FROM dblink('s1', 'SELECT v FROM t WHERE k = 2') AS r(t1_reads_b int);
SELECT * FROM dblink('s1', 'SELECT pg_current_xact_id()::text') AS r(t1_xid text);
SELECT * FROM dblink('s2', 'SELECT pg_current_xact_id()::text') AS r(t2_xid text);
SELECT pid AS s2pid FROM dblink('s2', 'SELECT pg_backend_pid()') AS r(pid int) \gset
\setenv S2PID :s2pid
\if :hold
\echo '-- a debugger stops T2''s backend at ReleasePredicateLocks'
\! ./hold.sh start
\endif
\echo '-- T2: COMMIT (sent asynchronously)'
SELECT dblink_send_query('s2', 'COMMIT');
\if :hold
\! ./hold.sh reached
\else
SELECT * FROM dblink_get_result('s2') AS r(t2_commit text);
\endif
\echo '-- T3: BEGIN; read b: sees T2''s 10 (T2 wr-> T3)'
SELECT dblink_exec('s3', 'BEGIN ISOLATION LEVEL SERIALIZABLE' || :'ro');
SELECT * FROM dblink('s3', 'SELECT v FROM t WHERE k = 2') AS r(t3_reads_b int);
SELECT * FROM dblink('s3', 'SELECT pg_current_snapshot()::text') AS r(t3_snapshot text);
\echo '-- T1: COMMIT'
SELECT dblink_exec('s1', 'COMMIT') AS t1_commit;
\if :hold
\echo '-- the debugger lets T2''s backend go on'
\! ./hold.sh release
SELECT * FROM dblink_get_result('s2') AS r(t2_commit text);
\endif
\echo '-- T3 reads a: the old value 0 (T3 rw-> T1); then COMMIT'
SELECT * FROM dblink('s3', 'SELECT v FROM t WHERE k = 1') AS r(t3_reads_a int);
SELECT dblink_exec('s3', 'COMMIT') AS t3_commit;
\echo '-- final state'
SELECT k, v, xmin FROM t ORDER BY k;
