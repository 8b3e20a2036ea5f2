-- Bench data, on top of the users the harness registered through the API
-- (their passwords hashed by Trellis itself). psql variables:
--   small, big, writer, mixer: the e-mails of those users.
--
-- Projects of the bench users get predictable ids, so that wrk scripts and
-- pgbench scripts can pick one at random from a number alone:
--   <tag as 8 digits>-0000-7000-8000-<n as 12 hex digits>
-- tag 1 = small (50 projects), 2 = big (10,000), 3 = writer (50),
-- 4 = mixer (50). They are valid version-7 UUIDs with the RFC variant.
-- Project n of a user was created n seconds before now: n = 1 is the newest.
\set ON_ERROR_STOP on

BEGIN;

CREATE FUNCTION pg_temp.bench_project_id(tag int, n int) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(tag::text, 8, '0') || '-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid
$$;

INSERT INTO projects (id, user_id, name, description, status, budget, deadline, created_at, updated_at)
SELECT pg_temp.bench_project_id(bench.tag, n),
       owner.id,
       'Project ' || n,
       CASE WHEN n % 3 = 0 THEN NULL ELSE 'Seeded for the benchmark: project number ' || n END,
       (ARRAY['active', 'completed', 'archived'])[1 + n % 3],
       CASE WHEN n % 2 = 0 THEN NULL ELSE 1000 + n * 12.5 END,
       CASE WHEN n % 4 = 0 THEN NULL ELSE DATE '2030-01-01' + n % 365 END,
       now() - make_interval(secs => n),
       now() - make_interval(secs => n)
FROM (VALUES (1, :'small', 50), (2, :'big', 10000), (3, :'writer', 50), (4, :'mixer', 50))
         AS bench (tag, email, projects)
JOIN users AS owner ON owner.email = bench.email
CROSS JOIN LATERAL generate_series(1, bench.projects) AS n;

-- 1,000 other users, ten projects each, so that the bench users' rows sit
-- among others in every index. They share the small user's password hash.
INSERT INTO users (id, email, password_hash, full_name, role, created_at, updated_at)
SELECT gen_random_uuid(),
       'other' || n || '@bench.example',
       (SELECT password_hash FROM users WHERE email = :'small'),
       'Other User ' || n,
       'user',
       now() - make_interval(mins => n),
       now() - make_interval(mins => n)
FROM generate_series(1, 1000) AS n;

INSERT INTO projects (id, user_id, name, status, created_at, updated_at)
SELECT gen_random_uuid(), u.id, 'Other project ' || n, 'active',
       u.created_at + make_interval(secs => n), u.created_at + make_interval(secs => n)
FROM users AS u
CROSS JOIN generate_series(1, 10) AS n
WHERE u.email LIKE 'other%@bench.example';

COMMIT;

-- What autovacuum would have done by now: statistics, and the visibility
-- map that lets the listing's count(*) be an index-only scan.
VACUUM (ANALYZE) users;
VACUUM (ANALYZE) projects;
