-- Sessions: a login, carried on by rotating refresh tokens (stored only as SHA-256 digests).

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    user_agent   text CONSTRAINT sessions_user_agent_length CHECK (char_length(user_agent) <= 255),
    ip           inet
);

-- A user's live sessions, newest first.
CREATE INDEX sessions_user_live_idx ON sessions (user_id, created_at DESC, id DESC)
    WHERE revoked_at IS NULL;
-- What an instance reloads after missing revocation notices.
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
-- What the sweeper deletes.
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE refresh_tokens (
    digest     bytea PRIMARY KEY CONSTRAINT refresh_tokens_digest_length CHECK (octet_length(digest) = 32),
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    spent_at   timestamptz
);

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Every instance keeps the ended sessions in memory: tell them, at commit, whenever a live session
-- ends (revoked, or deleted with its account). The payload is the session id alone.
CREATE FUNCTION trellis_notify_session_end() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.revoked_at IS NULL AND OLD.expires_at > now() THEN
            PERFORM pg_notify('trellis_session_ended', OLD.id::text);
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
        PERFORM pg_notify('trellis_session_ended', NEW.id::text);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER sessions_end_notice
    AFTER UPDATE OF revoked_at OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION trellis_notify_session_end();
