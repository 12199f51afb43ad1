-- Initial schema. Keep in step with the other backend's file: a test compares them.
-- Distributed-safe subset: TEXT UUIDv7 keys (no sequences), no triggers; child tables carry child_id as distribution key.

CREATE TABLE children (
    id TEXT PRIMARY KEY,
    msix_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'active',
    merged_into TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    channel TEXT NOT NULL,
    file_name TEXT,
    content_hash TEXT NOT NULL,
    format TEXT,
    encoding TEXT,
    status TEXT NOT NULL,
    students_total BIGINT,
    accepted BIGINT,
    rejected BIGINT,
    error TEXT,
    received_at TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ
);

CREATE TABLE state_records (
    id TEXT PRIMARY KEY,
    child_id TEXT NOT NULL,
    msix_id TEXT NOT NULL,
    reporting_state TEXT NOT NULL,
    state_student_id TEXT NOT NULL,
    state_student_id_type TEXT NOT NULL,
    submission_id TEXT,
    student_record_id BIGINT,
    first_name TEXT NOT NULL,
    first_name_norm TEXT NOT NULL,
    middle_name TEXT,
    middle_name_norm TEXT,
    last_name_1 TEXT NOT NULL,
    last_name_1_norm TEXT NOT NULL,
    last_name_2 TEXT,
    last_name_2_norm TEXT,
    suffix TEXT,
    sex TEXT,
    birth_date DATE,
    multiple_birth BOOLEAN,
    birth_city TEXT,
    birth_state TEXT,
    birth_country TEXT,
    birth_date_verification TEXT,
    parent1_first_name TEXT,
    parent1_first_name_norm TEXT,
    parent1_last_name TEXT,
    parent1_last_name_norm TEXT,
    parent2_first_name TEXT,
    parent2_first_name_norm TEXT,
    parent2_last_name TEXT,
    parent2_last_name_norm TEXT,
    parent1_email TEXT,
    parent2_email TEXT,
    parent1_phone TEXT,
    parent2_phone TEXT,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    received_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE alternate_ids (
    id TEXT PRIMARY KEY,
    state_record_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    alternate_student_id TEXT NOT NULL,
    id_type TEXT
);

CREATE TABLE qualifying_moves (
    id TEXT PRIMARY KEY,
    state_record_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    qualifying_arrival_date DATE NOT NULL,
    from_city TEXT,
    from_state TEXT,
    from_country TEXT,
    to_city TEXT,
    to_state TEXT,
    eligibility_expiration_date DATE NOT NULL,
    expiration_defaulted BOOLEAN NOT NULL
);

CREATE TABLE enrollments (
    id TEXT PRIMARY KEY,
    state_record_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    enrollment_date DATE NOT NULL,
    enrollment_type TEXT,
    school_or_project_name TEXT,
    mep_project_type TEXT,
    school_id TEXT,
    facility_name TEXT,
    facility_address_1 TEXT,
    facility_address_2 TEXT,
    facility_address_3 TEXT,
    facility_city TEXT,
    district_id TEXT,
    district_name TEXT,
    facility_state TEXT,
    facility_zip TEXT,
    telephone TEXT,
    grade_level TEXT,
    lep BOOLEAN,
    idea BOOLEAN,
    med_alert TEXT,
    pfs BOOLEAN,
    immunization_record BOOLEAN,
    withdrawal_date DATE,
    district_of_residence TEXT,
    residency_date DATE,
    residency_verification_date DATE,
    designated_graduation_school TEXT,
    graduation_hse TEXT,
    graduation_hse_date DATE,
    out_of_state_transcript BOOLEAN,
    continuation_reason TEXT,
    algebra1 BOOLEAN,
    comment TEXT
);

CREATE TABLE courses (
    id TEXT PRIMARY KEY,
    state_record_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    course_title TEXT NOT NULL,
    subject_area TEXT,
    course_type TEXT,
    begin_year BIGINT,
    end_year BIGINT,
    course_section TEXT,
    term_type TEXT,
    clock_hours BIGINT,
    grade_to_date TEXT,
    credits_hundredths BIGINT,
    final_grade TEXT
);

CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    state_record_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    title TEXT NOT NULL,
    content TEXT,
    assessment_type TEXT,
    administration_month DATE,
    reporting_method TEXT,
    score TEXT,
    interpretation TEXT
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    scope_state TEXT,
    scope_region TEXT,
    scope_district TEXT,
    password_hash TEXT,
    totp_secret TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    locale TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    child_msix_id TEXT,
    purpose TEXT,
    source_ip TEXT,
    details TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE UNIQUE INDEX state_records_state_ssid ON state_records (reporting_state, state_student_id);
CREATE INDEX state_records_child ON state_records (child_id);
CREATE INDEX state_records_msix ON state_records (msix_id);
CREATE INDEX state_records_names ON state_records (last_name_1_norm, first_name_norm);
CREATE INDEX state_records_dob ON state_records (birth_date);
CREATE INDEX alternate_ids_record ON alternate_ids (state_record_id);
CREATE INDEX qualifying_moves_record ON qualifying_moves (state_record_id);
CREATE INDEX qualifying_moves_child ON qualifying_moves (child_id);
CREATE INDEX enrollments_record ON enrollments (state_record_id);
CREATE INDEX enrollments_child ON enrollments (child_id);
CREATE INDEX courses_record ON courses (state_record_id);
CREATE INDEX courses_child ON courses (child_id);
CREATE INDEX assessments_record ON assessments (state_record_id);
CREATE INDEX assessments_child ON assessments (child_id);
CREATE UNIQUE INDEX submissions_state_hash ON submissions (state, content_hash);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_child ON audit_events (child_msix_id);
