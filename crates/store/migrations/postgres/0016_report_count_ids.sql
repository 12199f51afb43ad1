-- Reconciliation names each counted child by its MSIX ID and its state student IDs: kept in the
-- child's count row (IDs in ID order, joined by the ASCII unit separator), written with it, so
-- the report reads the kept rows alone (at 1,000,000 children, joining the children and the
-- records for each row cost more than the rest of the report). Rows kept before lack them, so
-- every period is computed again at its next report. Keep in step with the other backend's
-- file: a test compares them.
ALTER TABLE report_counts ADD COLUMN msix_id TEXT NOT NULL DEFAULT '';
ALTER TABLE report_counts ADD COLUMN state_student_ids TEXT NOT NULL DEFAULT '';
DELETE FROM report_counts;
DELETE FROM report_marks WHERE kind = 'count';
