//! The PostgreSQL store passes the repository contract, each case on a
//! database of its own, with prepared statements and without them (each
//! statement sent unnamed with its declared parameter types, as behind a
//! transaction-pooling PgBouncer).

use std::sync::Arc;
use trellis_ports::testkit::Repos;
use trellis_postgres::{PgSettings, PgStore, testkit::TestDatabase};

/// A store on a fresh database, kept alive (and so undropped) for as long
/// as the case holds the repositories.
async fn repos(prepared_statements: bool) -> Repos {
    let database = TestDatabase::create().await;
    let store = Arc::new(
        PgStore::connect(PgSettings {
            prepared_statements,
            ..database.settings()
        })
        .unwrap_or_else(|e| panic!("test store: {e}")),
    );
    Repos {
        users: store.clone(),
        projects: store.clone(),
        sessions: store.clone(),
        keys: store.clone(),
        attachments: store,
        keep_alive: Some(Arc::new(database)),
    }
}

trellis_ports::repository_contract!(repos(true));

mod without_prepared_statements {
    use super::repos;

    trellis_ports::repository_contract!(repos(false));
}

mod events {
    use std::sync::Arc;
    use trellis_ports::testkit::{EventRepos, Repos};
    use trellis_postgres::testkit::TestDatabase;

    async fn repos() -> EventRepos {
        let database = TestDatabase::create().await;
        let store = Arc::new(database.store());
        EventRepos {
            repos: Repos {
                users: store.clone(),
                projects: store.clone(),
                sessions: store.clone(),
                keys: store.clone(),
                attachments: store.clone(),
                keep_alive: Some(Arc::new(database)),
            },
            events: store.clone(),
            tickets: store,
        }
    }

    trellis_ports::event_contract!(repos());
}
