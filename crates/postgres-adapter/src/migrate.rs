//! The schema, from the SQL files in `migrations/` embedded at build time.

use crate::{PgError, PgStore};
use deadpool_postgres::Object;

mod embedded {
    refinery::embed_migrations!("../../migrations");
}

/// The advisory lock key that serialises migrations ("trellis" in ASCII).
const LOCK_KEY: i64 = 0x0074_7265_6c6c_6973;

/// Applies the migrations `store`'s database lacks.
///
/// Several processes may start at once on one database: each takes a
/// session-level advisory lock first, so one migrates and the others then
/// find nothing left to do. The connection leaves the pool for the
/// duration, without a statement timeout (a migration may take long, and so
/// may waiting for another process's), and is closed afterwards, which
/// releases the lock whatever happened.
pub async fn migrate(store: &PgStore) -> Result<(), PgError> {
    let pooled = store.client().await.map_err(PgError::Unavailable)?;
    let mut client = Object::take(pooled);
    let fail = |e: tokio_postgres::Error| PgError::Migration(Box::new(e));
    client
        .batch_execute("SET statement_timeout = 0")
        .await
        .map_err(fail)?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(fail)?;
    let report = embedded::migrations::runner()
        .run_async(&mut *client)
        .await
        .map_err(|e| PgError::Migration(Box::new(e)));
    if let Err(error) = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await
    {
        tracing::warn!(
            code = error.code().map(|state| state.code()),
            "releasing the migration lock failed; closing the session releases it"
        );
    }
    for migration in report?.applied_migrations() {
        tracing::info!(
            version = migration.version(),
            name = migration.name(),
            "migration applied"
        );
    }
    Ok(())
}

/// The embedded migrations, by version and name.
#[cfg(feature = "testkit")]
pub(crate) fn embedded() -> Vec<(i32, String)> {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|migration| (migration.version(), migration.name().to_owned()))
        .collect()
}

/// The embedded migrations' fingerprint: changes whenever one is added or edited.
#[cfg(feature = "testkit")]
pub(crate) fn fingerprint() -> u64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash: u64, migration| {
            (hash ^ migration.checksum()).wrapping_mul(0x0100_0000_01b3)
        })
}
