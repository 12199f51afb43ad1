-- One row per student of a submission file: accepted (with the MSIX ID returned to the state) or
-- rejected (with every validation issue as JSON). The submission report is read from here.
CREATE TABLE submission_results (
    submission_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    student_record_id TEXT NOT NULL,
    state_student_id TEXT NOT NULL,
    status TEXT NOT NULL,
    msix_id TEXT,
    issues TEXT NOT NULL,
    PRIMARY KEY (submission_id, seq)
);
