-- One row per state whose kept report rows were written: each write transaction of them first
-- upserts its state's row, which locks it, so two processes (a server and `puente report
-- refresh`, two servers) write one state's rows one after the other (a row lock, which a
-- distributed deployment can route, rather than an advisory lock). Keep in step with the other
-- backend's file: a test compares them.
CREATE TABLE report_writers (
    state TEXT PRIMARY KEY
);
