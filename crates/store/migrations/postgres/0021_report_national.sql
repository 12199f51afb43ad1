-- The national unduplicated child count of each performance period (children counted in
-- Category 1 in at least one state, each once; of them, those counted in Category 2 in at least
-- one state), kept so the national report does not read every counted child's index entry
-- (docs/reports.md "Performance"). A row holds exactly what `report_counts` gives for its year:
-- each write of kept count rows adds its children's change in the same transaction; a write that
-- does not (a full pass, a clear) removes the row, and the next national report counts again.
-- Keep in step with the other backend's file: a test compares them.
CREATE TABLE report_national (
    year INTEGER PRIMARY KEY,
    category1 BIGINT NOT NULL,
    category2 BIGINT NOT NULL
);
