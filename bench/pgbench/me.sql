-- GET /api/me: user::BY_ID.
SELECT id, email, full_name, role, created_at, updated_at
FROM users WHERE id = :uid;
