-- The lists bench's data: Ada with 10,000 projects, and 1,000 users with 100
-- projects each (100,000), names and descriptions drawn from a word list.
CREATE TEMP TABLE words AS
SELECT w, row_number() OVER () AS n FROM unnest(string_to_array(
  'apollo gemini mercury voyager pioneer viking cassini juno galileo hubble kepler '
  'spitzer chandra webb rosetta hayabusa artemis orion dragon falcon', ' ')) AS w;
INSERT INTO users (email, password_hash, full_name)
SELECT 'user' || i || '@bench.invalid', 'x', 'Bench' FROM generate_series(0, 1000) AS i;
INSERT INTO projects (user_id, name, description, status, budget, deadline, created_at)
SELECT u.id,
       initcap(a.w) || ' ' || i,
       'the ' || b.w || ' mission, phase ' || (i % 7) || ' of ' || c.w,
       (ARRAY['active', 'completed', 'archived'])[i % 3 + 1],
       CASE WHEN i % 4 <> 0 THEN (i % 900) + 0.25 END,
       CASE WHEN i % 5 <> 0 THEN DATE '2030-01-01' + (i % 365) END,
       now() - i * interval '1 second'
FROM users AS u
CROSS JOIN LATERAL generate_series(1, CASE WHEN u.email = 'user0@bench.invalid' THEN 10000 ELSE 100 END) AS i
JOIN words AS a ON a.n = (abs(hashint4(i + length(u.email))) % 20) + 1
JOIN words AS b ON b.n = (abs(hashint4(i * 7)) % 20) + 1
JOIN words AS c ON c.n = (abs(hashint4(i * 13 + 1)) % 20) + 1;
VACUUM ANALYZE projects;
