-- Report facts kept between runs (docs/reports.md "Performance"). Keep in step with the other
-- backend's file: a test compares them. No sequences, no triggers: every write of a state
-- record's data marks the (state, child) pair in report_dirty in the same transaction, and a
-- report recomputes the marked children before it counts.

-- (state, child) pairs whose report rows are out of date; token changes at every mark, so a
-- report removes only the mark it read (a later write leaves a new one).
CREATE TABLE report_dirty (
    state TEXT NOT NULL,
    child_id TEXT NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (state, child_id)
);

-- Which reports are complete for a state: kind 'count' per performance period (year), kind
-- 'quality' (year 0). A state and kind without a row is computed in full by its next report.
CREATE TABLE report_marks (
    state TEXT NOT NULL,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    PRIMARY KEY (state, kind, year)
);

-- One child's child-count decision in one state and performance period. category1/category2:
-- 'counted' or the reason code; grade: latest enrollment overlapping the period (NULL: none).
CREATE TABLE report_counts (
    state TEXT NOT NULL,
    year INTEGER NOT NULL,
    child_id TEXT NOT NULL,
    category1 TEXT NOT NULL,
    category2 TEXT NOT NULL,
    age INTEGER,
    grade TEXT,
    PRIMARY KEY (state, year, child_id)
);
CREATE INDEX report_counts_groups ON report_counts (state, year, category1, category2, age, grade);
CREATE INDEX report_counts_child ON report_counts (state, child_id);

-- One child's data-quality result in one state: its district, the days it holds
-- (computed_on <= today < valid_until; NULL: no end) and whether it has findings.
CREATE TABLE report_quality (
    state TEXT NOT NULL,
    child_id TEXT NOT NULL,
    district TEXT NOT NULL,
    computed_on DATE NOT NULL,
    valid_until DATE,
    findings INTEGER NOT NULL,
    PRIMARY KEY (state, child_id)
);
CREATE INDEX report_quality_district ON report_quality (state, district, findings);
CREATE INDEX report_quality_until ON report_quality (state, valid_until);

-- The findings of a report_quality row, one per code.
CREATE TABLE report_findings (
    state TEXT NOT NULL,
    child_id TEXT NOT NULL,
    district TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (state, child_id, code)
);
CREATE INDEX report_findings_groups ON report_findings (state, district, code);
CREATE INDEX report_findings_code ON report_findings (state, code, child_id);

-- Possible duplicates: a state's live records by folded first name, first last name and birth
-- date, read by index alone.
CREATE INDEX state_records_state_names ON state_records (reporting_state, first_name_norm, last_name_1_norm, birth_date, child_id) WHERE deleted = FALSE;
