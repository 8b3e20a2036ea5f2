-- Idempotency keys of POST /api/projects: a retried create with the same key answers the
-- project the first request created, as it was then, and creates nothing.
--
-- A request claims its key (a row with its claim token and no answer: "in progress"), then
-- creates the project and fills the answer in one statement that also checks the claim is
-- still its own; a request that fails releases the claim. A claim left by a process that died
-- is taken over after the lease (CLAIM_LEASE in the code), which is safe because its create
-- never committed. Rows are swept a day after their claim.

CREATE TABLE idempotency_keys (
    user_id     UUID          NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key         VARCHAR(255)  NOT NULL,
    fingerprint BYTEA         NOT NULL,
    claim       UUID          NOT NULL,
    claimed_at  TIMESTAMPTZ   NOT NULL,
    -- The answer: the project as created. NULL while the request runs.
    project_id  UUID,
    name        VARCHAR(200),
    description TEXT,
    status      TEXT,
    budget      NUMERIC(12,2),
    deadline    DATE,
    created_at  TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key),
    CONSTRAINT idempotency_keys_fingerprint_length CHECK (octet_length(fingerprint) = 32),
    CONSTRAINT idempotency_keys_answer_check
        CHECK ((project_id IS NULL) = (name IS NULL) AND (project_id IS NULL) = (created_at IS NULL))
);

-- What the sweeper deletes.
CREATE INDEX idempotency_keys_claimed_at_idx ON idempotency_keys (claimed_at);
