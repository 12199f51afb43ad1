-- Possible duplicates kept per state (docs/reports.md "Performance"): one row per child and
-- duplicate key (folded first name, folded first last name, birth date) that the state's live
-- records of at least two children share. Written whole by a state's first report that needs
-- it (report_marks kind 'duplicates'), then, for the children marked in report_dirty, only the
-- keys they had or have, so a report reads the duplicates instead of scanning the state's
-- records. Keep in step with the other backend's file: a test compares them.
CREATE TABLE report_duplicates (
    state TEXT NOT NULL,
    first_name_norm TEXT NOT NULL,
    last_name_1_norm TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    child_id TEXT NOT NULL,
    PRIMARY KEY (state, first_name_norm, last_name_1_norm, birth_date, child_id)
);
CREATE INDEX report_duplicates_child ON report_duplicates (state, child_id);
