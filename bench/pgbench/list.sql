-- GET /api/projects?limit=:limit (page = :offset / :limit + 1): project::PAGE, no status filter.
SELECT matching.total, p.id, p.user_id, p.name, p.description, p.status, p.budget_cents,
       p.deadline, p.created_at, p.updated_at
FROM (
    SELECT count(*) AS total FROM projects
    WHERE user_id = :uid AND (NULL::text IS NULL OR status = NULL::text)
) AS matching
LEFT JOIN LATERAL (
    SELECT id, user_id, name, description, status, (budget * 100)::int8 AS budget_cents,
           deadline, created_at, updated_at
    FROM projects
    WHERE user_id = :uid AND (NULL::text IS NULL OR status = NULL::text)
    ORDER BY created_at DESC, id
    LIMIT :limit OFFSET :offset
) AS p ON true
ORDER BY p.created_at DESC, p.id;
