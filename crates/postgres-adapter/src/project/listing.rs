//! The listing statements: one per sort, per kind of page (offset or
//! keyset), with or without a search. Each is assembled once, at first use,
//! from fixed fragments chosen by the [`ProjectSort`] enum — never from
//! input — and then runs like any other constant statement.
//!
//! Parameters, in order. Offset pages: `$1` owner, `$2` statuses (text[]),
//! `$3` limit, `$4` offset. Keyset pages: `$1` owner, `$2` statuses, `$3`
//! limit, `$4` the last id, `$5` the last sort value (NULL: it had none),
//! `$6` the id bound for the projects without a value. With a search, two
//! more: the LIKE pattern of its longest term (the one the trigram index
//! looks up) and those of the other terms (text[], checked on the rows).
//!
//! A keyset page on a nullable key (deadline, budget) is two index ranges
//! in a `UNION ALL`: the rest of the projects with a value after the last
//! one, then the projects without one (all of them if the last one had a
//! value, else those whose id comes after it); each branch stops at the
//! limit, and a merge of the two ordered branches keeps the order.

use crate::store::Sql;
use std::sync::LazyLock;
use tokio_postgres::types::Type;
use trellis_domain::{Direction, ProjectSort, SortKey};

/// The columns `project_from` decodes, of the table aliased `p` (or none).
fn columns(p: &str) -> String {
    format!(
        "{p}id, {p}user_id, {p}name, {p}description, {p}status, \
         ({p}budget * 100)::int8 AS budget_cents, {p}deadline, {p}created_at, {p}updated_at"
    )
}

/// The text the trigram index covers (`projects_search_idx`).
const SEARCHED: &str = "(name::text || ' ' || coalesce(description, ''))";

/// A listing statement's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Page `n`, with the total.
    Offset,
    /// After a position.
    Keyset,
}

/// The statement for `sort`, `kind`, with or without a search.
pub(crate) fn statement(sort: ProjectSort, kind: Kind, search: bool) -> &'static Sql {
    static ALL: LazyLock<Vec<(ProjectSort, Kind, bool, Sql)>> = LazyLock::new(|| {
        let mut all = Vec::new();
        for sort in ProjectSort::all() {
            for kind in [Kind::Offset, Kind::Keyset] {
                for search in [false, true] {
                    all.push((sort, kind, search, build(sort, kind, search)));
                }
            }
        }
        all
    });
    ALL.iter()
        .find(|(s, k, q, _)| (*s, *k, *q) == (sort, kind, search))
        .map(|(.., sql)| sql)
        .unwrap_or_else(|| unreachable!("every combination is built"))
}

/// The PostgreSQL type of a sort value parameter.
pub(crate) fn value_type(key: SortKey) -> Type {
    match key {
        SortKey::CreatedAt | SortKey::UpdatedAt => Type::TIMESTAMPTZ,
        SortKey::Name => Type::TEXT,
        SortKey::Deadline => Type::DATE,
        SortKey::Budget => Type::INT8,
    }
}

fn build(sort: ProjectSort, kind: Kind, search: bool) -> Sql {
    let mut types = vec![Type::UUID, Type::TEXT_ARRAY, Type::INT8];
    let text = match kind {
        Kind::Offset => {
            types.push(Type::INT8);
            offset(sort, search.then_some(5))
        }
        Kind::Keyset => {
            types.extend([Type::UUID, value_type(sort.key), Type::UUID]);
            keyset(sort, search.then_some(7))
        }
    };
    if search {
        types.extend([Type::TEXT, Type::TEXT_ARRAY]);
    }
    Sql {
        text: String::leak(text),
        types: Vec::leak(types),
    }
}

/// The sort key's expression over the table aliased `p`.
fn key(key: SortKey, p: &str) -> String {
    match key {
        SortKey::CreatedAt => format!("{p}created_at"),
        SortKey::UpdatedAt => format!("{p}updated_at"),
        SortKey::Name => format!("(lower({p}name) COLLATE \"C\")"),
        SortKey::Deadline => format!("{p}deadline"),
        SortKey::Budget => format!("{p}budget"),
    }
}

/// `$n` as a value of the sort key, comparable with [`key`].
fn value(key: SortKey, n: u8) -> String {
    match key {
        SortKey::CreatedAt | SortKey::UpdatedAt => format!("${n}::timestamptz"),
        SortKey::Name => format!("(lower(${n}::text) COLLATE \"C\")"),
        SortKey::Deadline => format!("${n}::date"),
        SortKey::Budget => format!("(${n}::int8::numeric / 100)"),
    }
}

fn direction(sort: ProjectSort) -> &'static str {
    match sort.direction {
        Direction::Ascending => "ASC",
        Direction::Descending => "DESC",
    }
}

fn order(sort: ProjectSort, p: &str) -> String {
    let direction = direction(sort);
    let nulls = if sort.key.is_nullable() {
        " NULLS LAST"
    } else {
        ""
    };
    format!("{} {direction}{nulls}, {p}id {direction}", key(sort.key, p))
}

/// The rows shown: the owner's, with one of the statuses, matching the
/// search whose parameters start at `search`.
fn shown(search: Option<u8>) -> String {
    let mut text = "user_id = $1 AND status = ANY($2::text[])".to_owned();
    if let Some(n) = search {
        text.push_str(&format!(
            " AND {SEARCHED} ILIKE ${n}::text AND {SEARCHED} ILIKE ALL(${}::text[])",
            n + 1
        ));
    }
    text
}

/// The page's ids come from the sort's index alone (status included);
/// only those rows are read, and sorted again (a join keeps no order).
fn offset(sort: ProjectSort, search: Option<u8>) -> String {
    let shown = shown(search);
    format!(
        "SELECT matching.total, {columns}
FROM (SELECT count(*) AS total FROM projects WHERE {shown}) AS matching
LEFT JOIN LATERAL (
    SELECT id FROM projects WHERE {shown}
    ORDER BY {inner} LIMIT $3 OFFSET $4
) AS page ON true
LEFT JOIN projects AS p ON p.id = page.id
ORDER BY {outer}",
        columns = columns("p."),
        inner = order(sort, ""),
        outer = order(sort, "p."),
    )
}

fn keyset(sort: ProjectSort, search: Option<u8>) -> String {
    let comparison = match sort.direction {
        Direction::Ascending => ">",
        Direction::Descending => "<",
    };
    let (shown, columns, order) = (shown(search), columns(""), order(sort, ""));
    let key = key(sort.key, "");
    let after = format!(
        "({key}, id) {comparison} ({value}, $4::uuid)",
        value = value(sort.key, 5)
    );
    if !sort.key.is_nullable() {
        return format!(
            "SELECT {columns} FROM projects WHERE {shown} AND {after} ORDER BY {order} LIMIT $3"
        );
    }
    format!(
        "SELECT * FROM (
    (SELECT {columns} FROM projects WHERE {shown} AND {key} IS NOT NULL AND {after}
     ORDER BY {order} LIMIT $3)
    UNION ALL
    (SELECT {columns} FROM projects WHERE {shown} AND {key} IS NULL AND id {comparison} $6::uuid
     ORDER BY {order} LIMIT $3)
) AS page
ORDER BY {outer} LIMIT $3",
        outer = order_of_output(sort),
    )
}

/// The order over a keyset union's output, whose sort value is in
/// `budget_cents` for budgets (cents order like the amounts).
fn order_of_output(sort: ProjectSort) -> String {
    let direction = direction(sort);
    match sort.key {
        SortKey::Budget => format!("budget_cents {direction} NULLS LAST, id {direction}"),
        _ => order(sort, ""),
    }
}
