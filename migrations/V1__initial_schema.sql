-- Accounts and their projects.
--
-- Ids are UUIDv7 chosen by the application (the defaults only serve manual
-- inserts). Timestamps are set by the database (microsecond precision) and
-- returned to the application with every write, so what a client sees is
-- exactly what is stored. Every constraint is named: the adapter maps
-- SQLSTATE + constraint name to domain errors.

CREATE TABLE users (
    id            UUID         NOT NULL DEFAULT gen_random_uuid(),
    email         VARCHAR(255) NOT NULL,
    password_hash TEXT         NOT NULL,
    full_name     VARCHAR(100) NOT NULL,
    role          TEXT         NOT NULL DEFAULT 'user',
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_role_check CHECK (role IN ('user', 'admin'))
);

-- One account per address, whatever its letter case.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
-- The admin listing: newest first, ties by id.
CREATE INDEX users_created_idx ON users (created_at DESC, id);

CREATE TABLE projects (
    id          UUID          NOT NULL DEFAULT gen_random_uuid(),
    user_id     UUID          NOT NULL,
    name        VARCHAR(200)  NOT NULL,
    description TEXT,
    status      TEXT          NOT NULL DEFAULT 'active',
    budget      NUMERIC(12,2),
    deadline    DATE,
    created_at  TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT projects_pkey PRIMARY KEY (id),
    CONSTRAINT projects_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT projects_description_length_check CHECK (char_length(description) <= 5000),
    CONSTRAINT projects_status_check CHECK (status IN ('active', 'completed', 'archived')),
    CONSTRAINT projects_budget_check CHECK (budget > 0)
);

-- A user's projects, newest first, ties by id: serves the listing without a
-- sort, and the foreign key's cascade. Carrying the status lets a listing
-- filtered by status pick its page and count from the index alone.
CREATE INDEX projects_user_created_idx ON projects (user_id, created_at DESC, id) INCLUDE (status);

-- Every update bumps updated_at, whoever writes the row.
CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER users_touch_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TRIGGER projects_touch_updated_at
    BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
