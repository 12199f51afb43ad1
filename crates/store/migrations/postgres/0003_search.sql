-- Search keys: normalised name, date and identifier keys of every live state record, so that
-- search finds accent-free, nickname, phonetic and swapped-surname variants with the same SQL
-- on both backends. Computed in Rust (app::search); child_id is the distribution key.
CREATE TABLE search_keys (
    state_record_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (state_record_id, key)
);

CREATE INDEX search_keys_key ON search_keys (key, child_id);
CREATE INDEX search_keys_child ON search_keys (child_id);
