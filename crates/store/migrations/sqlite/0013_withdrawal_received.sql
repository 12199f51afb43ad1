-- When an enrollment's withdrawal date (the end of the child's term at that school or project)
-- first reached the exchange: kept across re-sends of the record, for the 30-calendar-day
-- term-end clock of the data-quality report. NULL: no withdrawal date, or stored before this
-- column existed. Keep in step with the other backend's file: a test compares them.
ALTER TABLE enrollments ADD COLUMN withdrawal_received_at TEXT;
