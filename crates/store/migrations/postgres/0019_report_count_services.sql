-- The national statistics count children by service (docs/reports.md "Child count", "By
-- service"): each kept child-count row says whether the child was under Priority for Services,
-- an English learner or served under IDEA in the period (an enrollment overlapping the period
-- says Yes). Rows kept before lack them, so every period is computed again at its next report.
-- Keep in step with the other backend's file: a test compares them.
ALTER TABLE report_counts ADD COLUMN pfs BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE report_counts ADD COLUMN el BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE report_counts ADD COLUMN idea BOOLEAN NOT NULL DEFAULT FALSE;
DELETE FROM report_counts;
DELETE FROM report_marks WHERE kind = 'count';
