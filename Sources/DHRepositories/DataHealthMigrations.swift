public import DHStorage

/// The project's schema, as versioned migrations applied by ``Migrator`` (`dh migrate up`).
///
/// Applied migrations are never edited: a change is a new migration with the next version.
/// The tables are described in docs/STORAGE.md ("Schema") and docs/AUDIT.md ("Storage").
public enum DataHealthMigrations {
    /// Every migration, in order.
    public static let all: [Migration] = [
        auditLog, consent, careRecords, careRecordChanges, patientFacts, changeLogInTransactionOrder,
        deferredPatientReferences,
    ]

    /// The migrator for ``all``, recording in `schema_migrations`.
    public static func migrator() throws -> Migrator {
        try Migrator(migrations: all)
    }

    /// Version 1: the audit log. `entry` and `leaf_hash` are the log itself; the other columns
    /// repeat fields of the entry so that queries can use indexes. Verification never trusts
    /// them: it recomputes every leaf from `entry`.
    public static let auditLog = Migration(
        version: 1, name: "audit log",
        sql: """
            CREATE TABLE audit_entries (
                index bigint PRIMARY KEY CHECK (index >= 0),
                entry bytea NOT NULL,
                leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
                time timestamptz NOT NULL,
                identity text NOT NULL,
                acting_user text NOT NULL,
                purpose text NOT NULL,
                method text NOT NULL,
                patient text NOT NULL,
                dataset text NOT NULL,
                outcome smallint NOT NULL CHECK (outcome BETWEEN 1 AND 3),
                status smallint NOT NULL,
                break_glass boolean NOT NULL
            );
            CREATE INDEX audit_entries_patient ON audit_entries (patient, index);
            CREATE INDEX audit_entries_identity ON audit_entries (identity, index);
            CREATE INDEX audit_entries_acting_user ON audit_entries (acting_user, index);
            CREATE INDEX audit_entries_method ON audit_entries (method, index);
            CREATE INDEX audit_entries_dataset ON audit_entries (dataset, index);
            CREATE INDEX audit_entries_time ON audit_entries USING brin (time);
            CREATE INDEX audit_entries_break_glass ON audit_entries (index) WHERE break_glass;

            CREATE TABLE audit_tree_heads (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tree_size bigint NOT NULL CHECK (tree_size >= 0),
                root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),
                timestamp_ms bigint NOT NULL,
                key_id bytea NOT NULL CHECK (octet_length(key_id) = 32),
                signature bytea NOT NULL
            );
            CREATE INDEX audit_tree_heads_size ON audit_tree_heads (tree_size);
            """)

    /// Version 2: patient consent: opt-outs, per-visit viewing consents, PHR links and
    /// break-glass grants (kept for review, never deleted).
    public static let consent = Migration(
        version: 2, name: "consent",
        sql: """
            CREATE TABLE consent_patients (
                patient text PRIMARY KEY,
                sharing_opt_out boolean NOT NULL DEFAULT false,
                secondary_use_opt_out boolean NOT NULL DEFAULT false,
                updated_at timestamptz NOT NULL
            );
            CREATE TABLE consent_viewing (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                patient text NOT NULL,
                institution text NOT NULL,
                given_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL CHECK (expires_at > given_at)
            );
            CREATE INDEX consent_viewing_patient ON consent_viewing (patient, institution, given_at);
            CREATE TABLE consent_phr_links (
                patient text NOT NULL,
                organization text NOT NULL,
                linked_at timestamptz NOT NULL,
                PRIMARY KEY (patient, organization)
            );
            CREATE TABLE break_glass_grants (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                patient text NOT NULL,
                identity text NOT NULL,
                acting_user text,
                reason text NOT NULL CHECK (reason <> ''),
                opened_at timestamptz NOT NULL,
                expires_at timestamptz NOT NULL CHECK (expires_at > opened_at),
                needs_review boolean NOT NULL DEFAULT true,
                reviewed_by text,
                reviewed_at timestamptz,
                CHECK (needs_review = (reviewed_by IS NULL))
            );
            CREATE INDEX break_glass_grants_patient ON break_glass_grants (patient, opened_at);
            CREATE INDEX break_glass_grants_review ON break_glass_grants (opened_at) WHERE needs_review;
            """)

    /// Version 3: care records. Patients appear only as their pseudonymous id (HMAC-SHA256 of
    /// the insured person's numbers under a server secret), never as the numbers themselves.
    /// Records keep the submitted item as protobuf bytes; a DELETE or a replacement marks the
    /// row deleted. Idempotency keys are unique per institution and keep the stored version.
    public static let careRecords = Migration(
        version: 3, name: "care records",
        sql: """
            CREATE TABLE care_patients (
                patient_id text PRIMARY KEY CHECK (patient_id ~ '^[0-9a-f]{64}$'),
                created_at timestamptz NOT NULL
            );
            CREATE TABLE care_records (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                institution text NOT NULL CHECK (institution ~ '^[0-9]{10}$'),
                submission_id text NOT NULL CHECK (submission_id <> ''),
                item_kind text NOT NULL,
                patient_id text NOT NULL REFERENCES care_patients (patient_id),
                replacement_key text,
                item bytea NOT NULL,
                long_term_retention boolean NOT NULL DEFAULT false,
                not_yet_disclosed boolean NOT NULL DEFAULT false,
                version bigint NOT NULL CHECK (version >= 1),
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                deleted boolean NOT NULL DEFAULT false,
                UNIQUE (institution, submission_id)
            );
            CREATE INDEX care_records_patient ON care_records (patient_id, id) WHERE NOT deleted;
            CREATE INDEX care_records_replacement ON care_records (institution, patient_id, replacement_key)
                WHERE NOT deleted AND replacement_key IS NOT NULL;
            CREATE TABLE care_idempotency_keys (
                institution text NOT NULL,
                idempotency_key text NOT NULL CHECK (idempotency_key <> ''),
                submission_id text NOT NULL,
                version bigint NOT NULL,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (institution, idempotency_key)
            );
            """)

    /// Version 4: the change log of care records, for `WatchPatient`. One row per accepted
    /// write. (Version 6 changed how `sequence` is numbered.)
    public static let careRecordChanges = Migration(
        version: 4, name: "care record changes",
        sql: """
            CREATE TABLE care_changes (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                patient_id text NOT NULL,
                institution text NOT NULL,
                item_kind text NOT NULL,
                submission_id text NOT NULL,
                change text NOT NULL CHECK (change IN ('added', 'updated', 'deleted')),
                version bigint NOT NULL,
                provenance bytea NOT NULL,
                changed_at timestamptz NOT NULL
            );
            CREATE INDEX care_changes_patient ON care_changes (patient_id, sequence);
            """)

    /// Version 5: keyed digests of patients' four basic facts (name in katakana, birth date,
    /// sex), by which an emergency read finds a patient without a card. Only the HMAC under
    /// the server's pseudonym secret is kept, never the facts.
    public static let patientFacts = Migration(
        version: 5, name: "patient facts",
        sql: """
            CREATE TABLE care_patient_facts (
                digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
                patient_id text NOT NULL REFERENCES care_patients (patient_id),
                PRIMARY KEY (digest, patient_id)
            );
            """)

    /// Version 6: change log sequences are given by the writer, in transaction order: the
    /// writing transaction's id shifted left by 20 bits plus the change's ordinal in it
    /// (see `PostgresCareRecordRepository`), instead of an identity that only a table lock
    /// held through each commit kept in commit order. Earlier rows keep their numbers, all
    /// below the new ones.
    public static let changeLogInTransactionOrder = Migration(
        version: 6, name: "change log in transaction order",
        sql: """
            ALTER TABLE care_changes ALTER COLUMN sequence DROP IDENTITY;
            """)

    /// Version 7: records and fact digests check their patient at commit instead of row by
    /// row, so that a batch inserts its patients last. Two batches stored at once that share a
    /// new patient then wait for each other only at the end, not before their records.
    public static let deferredPatientReferences = Migration(
        version: 7, name: "deferred patient references",
        sql: """
            ALTER TABLE care_records ALTER CONSTRAINT care_records_patient_id_fkey DEFERRABLE INITIALLY DEFERRED;
            ALTER TABLE care_patient_facts ALTER CONSTRAINT care_patient_facts_patient_id_fkey
                DEFERRABLE INITIALLY DEFERRED;
            """)
}
