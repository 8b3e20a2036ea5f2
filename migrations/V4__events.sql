-- Project changes as events, for the streams of GET /api/events.
--
-- A trigger on projects writes each change's event in the change's own transaction: no change is
-- committed without its event, and no event outlives a rolled-back change. Each event keeps the
-- project as that change left it (its columns; NULL on delete).
--
-- One owner's events are ordered by id, and commit in that order: the trigger takes a
-- transaction-level advisory lock on the owner before it draws the id, so a later id of the same
-- owner is never visible before an earlier one. A reader may then resume "after id N" without
-- skipping anything that commits later. Writes of different owners do not wait on each other.
--
-- At commit every instance is told (NOTIFY trellis_event, payload "<id> <owner>": ids only); an
-- instance that missed notices reads the table after the last id it delivered.

CREATE TABLE events (
    id          BIGINT       GENERATED ALWAYS AS IDENTITY,
    user_id     UUID         NOT NULL,
    project_id  UUID         NOT NULL,
    kind        TEXT         NOT NULL,
    at          TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp(),
    name        VARCHAR(200),
    description TEXT,
    status      TEXT,
    budget      NUMERIC(12,2),
    deadline    DATE,
    created_at  TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ,
    CONSTRAINT events_pkey PRIMARY KEY (id),
    CONSTRAINT events_kind_check
        CHECK (kind IN ('project.created', 'project.updated', 'project.deleted')),
    -- No foreign key to users: deleting an account deletes its projects, whose events are
    -- written after the account row is gone. They are swept like any other.
    CONSTRAINT events_project_check CHECK ((kind = 'project.deleted') = (name IS NULL))
);

-- One owner's events after an id: resuming a stream, and catching up after missed notices.
CREATE INDEX events_user_id_idx ON events (user_id, id);
-- What the sweeper deletes.
CREATE INDEX events_at_idx ON events (at);

-- The highest id ever swept: a stream resuming at or before it may have lost events (resync).
CREATE TABLE event_horizon (
    swept_through BIGINT NOT NULL,
    singleton     BOOLEAN NOT NULL DEFAULT true,
    CONSTRAINT event_horizon_pkey PRIMARY KEY (singleton),
    CONSTRAINT event_horizon_singleton_check CHECK (singleton)
);
INSERT INTO event_horizon (swept_through) VALUES (0);

-- Single-use tickets for browsers, which cannot set headers on a WebSocket: only their SHA-256
-- digest is kept, for 30 seconds.
CREATE TABLE event_tickets (
    digest     BYTEA        NOT NULL,
    user_id    UUID         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT         NOT NULL,
    session_id UUID,
    expires_at TIMESTAMPTZ  NOT NULL,
    CONSTRAINT event_tickets_pkey PRIMARY KEY (digest),
    CONSTRAINT event_tickets_digest_length CHECK (octet_length(digest) = 32)
);

CREATE FUNCTION trellis_project_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner uuid;
    event_id bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        owner := OLD.user_id;
    ELSE
        owner := NEW.user_id;
    END IF;
    -- 0x74726c73 is "trls": the key space of this lock; the owner picks the lock in it.
    PERFORM pg_advisory_xact_lock(1953655923, hashtext(owner::text));
    IF TG_OP = 'DELETE' THEN
        INSERT INTO events (user_id, project_id, kind)
        VALUES (OLD.user_id, OLD.id, 'project.deleted')
        RETURNING id INTO event_id;
    ELSE
        INSERT INTO events (user_id, project_id, kind, name, description, status, budget,
                            deadline, created_at, updated_at)
        VALUES (NEW.user_id, NEW.id,
                CASE TG_OP WHEN 'INSERT' THEN 'project.created' ELSE 'project.updated' END,
                NEW.name, NEW.description, NEW.status, NEW.budget, NEW.deadline,
                NEW.created_at, NEW.updated_at)
        RETURNING id INTO event_id;
    END IF;
    PERFORM pg_notify('trellis_event', event_id::text || ' ' || owner::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER projects_event
    AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION trellis_project_event();
