-- Data quality over time (docs/reports.md "Data quality over time"): one row per state and day
-- with that day's data-quality figures (children, children with findings, and children per
-- finding code as a JSON object). Written when a state's data-quality report is shown and once
-- a day by the report job; a later write on the same day replaces the row. Keep in step with
-- the other backend's file: a test compares them.
CREATE TABLE report_quality_history (
    state TEXT NOT NULL,
    day DATE NOT NULL,
    children BIGINT NOT NULL,
    children_with_findings BIGINT NOT NULL,
    by_code TEXT NOT NULL,
    PRIMARY KEY (state, day)
);
