-- Interstate mobility kept between runs (docs/reports.md "Performance"). Keep in step with the
-- other backend's file: a test compares them. Every write that marks (state, child) in
-- report_dirty also marks ('*', child); the mobility report recomputes the moves of the children
-- marked '*' and moves the flow counts by the rows it actually removed and added.

-- Each child's distinct interstate moves (origin and destination given and different), from its
-- live records: one row however many states reported the move.
CREATE TABLE report_moves (
    child_id TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    arrival_date TEXT NOT NULL,
    PRIMARY KEY (child_id, from_state, to_state, arrival_date)
);

-- The rows of report_moves counted per (origin, destination, arrival month 'YYYY-MM').
CREATE TABLE report_flows (
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    month TEXT NOT NULL,
    moves BIGINT NOT NULL,
    PRIMARY KEY (from_state, to_state, month)
);
CREATE INDEX report_flows_month ON report_flows (month);

-- Mobility no longer reads the live moves by arrival date.
DROP INDEX qualifying_moves_arrival;
