//! The in-memory store passes the repository contract.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use trellis_memory::InMemoryStore;
use trellis_ports::testkit::Repos;

fn repos() -> Repos {
    let store = Arc::new(InMemoryStore::new());
    Repos {
        users: store.clone(),
        projects: store.clone(),
        sessions: store.clone(),
        keys: store.clone(),
        attachments: store,
        keep_alive: None,
    }
}

trellis_ports::repository_contract!(async { repos() });

mod counters {
    use std::sync::Arc;
    use trellis_memory::MemoryCounters;

    trellis_ports::counter_contract!(async { Arc::new(MemoryCounters::new(1_000)) });
}

mod events {
    use std::sync::Arc;
    use trellis_memory::InMemoryStore;
    use trellis_ports::testkit::{EventRepos, Repos};

    fn repos() -> EventRepos {
        let store = Arc::new(InMemoryStore::new());
        EventRepos {
            repos: Repos {
                users: store.clone(),
                projects: store.clone(),
                sessions: store.clone(),
                keys: store.clone(),
                attachments: store.clone(),
                keep_alive: None,
            },
            events: store.clone(),
            tickets: store,
        }
    }

    trellis_ports::event_contract!(async { repos() });
}
