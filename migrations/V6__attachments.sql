-- Files attached to projects: what is known of each (its bytes live in blob storage, under the
-- key "<project_id>/<id>"), and the queue of blobs to delete.
--
-- The row is written after the bytes are stored. Whenever a row goes -- removed on its own, or
-- with its project, or with its project's owner (both cascades) -- a trigger queues its key in
-- the same transaction, so that no crash can forget the bytes; a worker deletes them from
-- storage and then the queue entry.

CREATE TABLE attachments (
    id           UUID         NOT NULL,
    project_id   UUID         NOT NULL,
    filename     TEXT         NOT NULL,
    content_type TEXT         NOT NULL,
    size         BIGINT       NOT NULL,
    sha256       BYTEA        NOT NULL,
    created_at   TIMESTAMPTZ  NOT NULL,
    CONSTRAINT attachments_pkey PRIMARY KEY (id),
    CONSTRAINT attachments_project_id_fkey
        FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT attachments_filename_length_check CHECK (octet_length(filename) <= 255),
    CONSTRAINT attachments_size_check CHECK (size >= 0),
    CONSTRAINT attachments_sha256_length_check CHECK (octet_length(sha256) = 32)
);

-- A project's attachments, newest first, ties by id: serves the listing, the count against the
-- limit, and the foreign key's cascade.
CREATE INDEX attachments_project_created_idx
    ON attachments (project_id, created_at DESC, id DESC);

-- Blobs whose row is gone, to be deleted from storage. No foreign key: the project (and the
-- account) may be gone too.
CREATE TABLE attachment_deletions (
    project_id    UUID         NOT NULL,
    attachment_id UUID         NOT NULL,
    queued_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT attachment_deletions_pkey PRIMARY KEY (project_id, attachment_id)
);

-- What the worker takes next: oldest first.
CREATE INDEX attachment_deletions_queued_idx
    ON attachment_deletions (queued_at, project_id, attachment_id);

CREATE FUNCTION trellis_queue_attachment_deletion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO attachment_deletions (project_id, attachment_id)
    VALUES (OLD.project_id, OLD.id)
    ON CONFLICT ON CONSTRAINT attachment_deletions_pkey DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER attachments_queue_deletion
    AFTER DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION trellis_queue_attachment_deletion();
