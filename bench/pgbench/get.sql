-- GET /api/projects/{id}: project::FIND, on one of the user's 50 seeded projects.
\set n random(1, 50)
SELECT id, user_id, name, description, status, (budget * 100)::int8 AS budget_cents,
       deadline, created_at, updated_at
FROM projects WHERE id = ('00000001-0000-7000-8000-' || lpad(to_hex(:n::int), 12, '0'))::uuid AND user_id = :uid;
