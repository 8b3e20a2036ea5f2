-- Lists that scale: every sort of the project listing walks an index, and a
-- search (`q`) does not read the owner's rows one by one.
--
-- Each sort's index is (user_id, key, id) in the sort's direction, carrying
-- the status so that a filtered offset page is picked from the index alone.
-- A non-null key's index serves both directions (scanned backwards); a
-- nullable key (deadline, budget) has one per direction, because its nulls
-- come last either way. Names compare case-insensitively, byte by byte
-- (COLLATE "C"), so that every database orders them alike; that index also
-- carries the name itself, which an index-only scan needs to compute it.

DROP INDEX projects_user_created_idx;
CREATE INDEX projects_user_created_idx
    ON projects (user_id, created_at DESC, id DESC) INCLUDE (status);
CREATE INDEX projects_user_updated_idx
    ON projects (user_id, updated_at DESC, id DESC) INCLUDE (status);
CREATE INDEX projects_user_name_idx
    ON projects (user_id, (lower(name) COLLATE "C"), id) INCLUDE (status, name);
CREATE INDEX projects_user_deadline_idx
    ON projects (user_id, deadline ASC NULLS LAST, id) INCLUDE (status);
CREATE INDEX projects_user_deadline_desc_idx
    ON projects (user_id, deadline DESC NULLS LAST, id DESC) INCLUDE (status);
CREATE INDEX projects_user_budget_idx
    ON projects (user_id, budget ASC NULLS LAST, id) INCLUDE (status);
CREATE INDEX projects_user_budget_desc_idx
    ON projects (user_id, budget DESC NULLS LAST, id DESC) INCLUDE (status);

-- Substring search over name and description: trigrams (pg_trgm ships with
-- PostgreSQL; creating it needs a role allowed to, see the README), keyed by
-- owner first (btree_gin, also in contrib), so that a common word is looked
-- up among the owner's projects, not the whole table's. The statements search
-- exactly this expression; a term never spans the space.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX projects_search_idx
    ON projects USING gin (user_id, (name::text || ' ' || coalesce(description, '')) gin_trgm_ops);
