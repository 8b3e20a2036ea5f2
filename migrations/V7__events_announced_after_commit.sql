-- The events trigger no longer notifies.
--
-- A transaction that has called NOTIFY takes one database-wide lock when it commits and holds it
-- through its WAL flush, so with the NOTIFY in the trigger (V4) every project write in the database
-- committed one after another, whoever owned it. The instance that made a write now announces it
-- after its commit (NOTIFY trellis_event, payload "<id> <owner>" with the highest id, which an
-- instance of an earlier version reads as "read this owner's log"), from a transaction of its own
-- that names every owner written meanwhile; an instance that misses a notice reads the log after
-- each stream's last event at a fixed interval anyway.
--
-- Everything else is as V4 made it: each change's event is written in the change's transaction,
-- under the owner's advisory lock, so one owner's events commit in id order.

CREATE OR REPLACE FUNCTION trellis_project_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner uuid;
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
        VALUES (OLD.user_id, OLD.id, 'project.deleted');
    ELSE
        INSERT INTO events (user_id, project_id, kind, name, description, status, budget,
                            deadline, created_at, updated_at)
        VALUES (NEW.user_id, NEW.id,
                CASE TG_OP WHEN 'INSERT' THEN 'project.created' ELSE 'project.updated' END,
                NEW.name, NEW.description, NEW.status, NEW.budget, NEW.deadline,
                NEW.created_at, NEW.updated_at);
    END IF;
    RETURN NULL;
END
$$;
