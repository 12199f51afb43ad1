-- The child-count groups read the service indicators too (migration 0019): the grouping index
-- holds them, so the groups are still read from the index alone. The national unduplicated
-- count reads each period's counted children in child order from its own index. Keep in step
-- with the other backend's file: a test compares them.
DROP INDEX report_counts_groups;
CREATE INDEX report_counts_groups ON report_counts (state, year, category1, category2, age, grade, pfs, el, idea);
CREATE INDEX report_counts_national ON report_counts (year, category1, child_id, category2);
