-- Reports read by index alone. Possible duplicates: a state's live records by folded first name,
-- first last name and birth date (with `deleted` in the key, so no table read checks it; the
-- partial index of 0012 was not covering). Mobility: qualifying moves by arrival date. Keep in
-- step with the other backend's file: a test compares them.
DROP INDEX state_records_state_names;
CREATE INDEX state_records_state_names ON state_records (reporting_state, deleted, first_name_norm, last_name_1_norm, birth_date, child_id);
CREATE INDEX qualifying_moves_arrival ON qualifying_moves (qualifying_arrival_date, from_state, to_state, child_id, state_record_id);
