-- POST /api/projects: project::INSERT, with the values of bench/wrk/create.lua's body.
INSERT INTO projects (id, user_id, name, description, status, budget, deadline)
VALUES (gen_random_uuid(), :uid, 'Bench project', 'Created by the benchmark', 'active', 123450::int8::numeric / 100, '2030-06-30')
RETURNING id, user_id, name, description, status, (budget * 100)::int8 AS budget_cents,
          deadline, created_at, updated_at;
