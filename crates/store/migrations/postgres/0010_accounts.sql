-- Account applications (apply -> supervisor attestation -> user administrator decision) and state
-- onboarding profiles (contacts, regions, districts, ISA and MOU dates).
-- Keep in step with the other backend's file: a test compares them. TEXT UUIDv7 keys.

-- status: awaiting_attestation -> attested -> approved | denied; or supervisor_declined.
-- link_token_hash: SHA-256 (hex) of the current one-time link (never the token itself): the
-- supervisor's attestation link while awaiting_attestation, then the applicant's activation link
-- (set a password) once approved; cleared when used. link_expires_at: when that link expires. retain_until: the paperwork is kept until 3 years after access ends
-- (set at denial, or when the resulting account is deactivated); then purged (docs/accounts.md).
CREATE TABLE account_applications (
    id TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    organisation TEXT NOT NULL,
    role_requested TEXT NOT NULL,
    state TEXT NOT NULL,
    district TEXT,
    supervisor_name TEXT NOT NULL,
    supervisor_email TEXT NOT NULL,
    locale TEXT NOT NULL,
    status TEXT NOT NULL,
    link_token_hash TEXT,
    link_expires_at TIMESTAMPTZ,
    attested_at TIMESTAMPTZ,
    attestation_note TEXT,
    decided_by TEXT,
    decided_at TIMESTAMPTZ,
    decision_reason TEXT,
    user_id TEXT,
    training_completed_on DATE,
    rules_accepted_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    access_ended_at TIMESTAMPTZ,
    retain_until DATE
);
CREATE INDEX account_applications_state ON account_applications (state, status);
CREATE INDEX account_applications_token ON account_applications (link_token_hash);
CREATE INDEX account_applications_user ON account_applications (user_id);

CREATE TABLE state_profiles (
    state TEXT PRIMARY KEY,
    program_name TEXT,
    isa_signed_on DATE,
    isa_expires_on DATE,
    mou_signed_on DATE,
    mou_expires_on DATE,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- kind: director (program director) or data (data contact).
CREATE TABLE state_contacts (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT,
    email TEXT NOT NULL,
    phone TEXT
);
CREATE INDEX state_contacts_state ON state_contacts (state);

CREATE TABLE state_regions (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (state, code)
);

CREATE TABLE state_districts (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    region_code TEXT,
    UNIQUE (state, code)
);
