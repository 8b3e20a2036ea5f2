//! The `LISTEN` connection on a real server: a channel listened on only
//! while wanted hears nothing before, announces itself as reconnected when
//! listening starts, and hears nothing again once unwanted, while a channel
//! listened on always hears throughout.
#![allow(clippy::unwrap_used)] // tests may panic

use futures_util::{StreamExt, stream::BoxStream};
use std::time::Duration;
use tokio_postgres::Client;
use trellis_postgres::{
    EVENT_COMMITTED, Heard, Listen, PgListener, SESSION_ENDED, testkit::TestDatabase,
};

/// Long enough for a notice to arrive over loopback many times over.
const QUIET: Duration = Duration::from_millis(400);
const SOON: Duration = Duration::from_secs(5);

async fn notify(client: &Client, channel: &str, payload: &str) {
    client
        .execute("SELECT pg_notify($1, $2)", &[&channel, &payload])
        .await
        .unwrap();
}

async fn next(heard: &mut BoxStream<'static, Heard>) -> Heard {
    tokio::time::timeout(SOON, heard.next())
        .await
        .expect("heard in time")
        .expect("the stream is open")
}

async fn nothing(heard: &mut BoxStream<'static, Heard>) {
    if let Ok(extra) = tokio::time::timeout(QUIET, heard.next()).await {
        panic!("heard {extra:?}, expected nothing");
    }
}

#[tokio::test]
async fn a_channel_wanted_on_demand_is_heard_only_while_wanted() {
    let db = TestDatabase::create().await;
    let settings = db.settings();
    let listener = PgListener::start(
        &settings.connection,
        Duration::from_secs(5),
        &[
            (SESSION_ENDED, Listen::Always),
            (EVENT_COMMITTED, Listen::WhileWanted),
        ],
    )
    .unwrap();
    let mut sessions = listener.hear(SESSION_ENDED);
    let mut events = listener.hear(EVENT_COMMITTED);
    assert_eq!(next(&mut sessions).await, Heard::Reconnected, "connected");
    assert_eq!(next(&mut events).await, Heard::Reconnected, "connected");
    let client = db.client().await;

    notify(&client, EVENT_COMMITTED, "before").await;
    notify(&client, SESSION_ENDED, "always 1").await;
    assert_eq!(next(&mut sessions).await, Heard::Notice("always 1".into()));
    nothing(&mut events).await;

    listener.want(EVENT_COMMITTED, true);
    assert_eq!(
        next(&mut events).await,
        Heard::Reconnected,
        "listening again"
    );
    notify(&client, EVENT_COMMITTED, "while wanted").await;
    assert_eq!(
        next(&mut events).await,
        Heard::Notice("while wanted".into())
    );

    listener.want(EVENT_COMMITTED, false);
    // The listener's own task runs the UNLISTEN: give it the quiet period.
    tokio::time::sleep(QUIET).await;
    notify(&client, EVENT_COMMITTED, "after").await;
    notify(&client, SESSION_ENDED, "always 2").await;
    assert_eq!(next(&mut sessions).await, Heard::Notice("always 2".into()));
    nothing(&mut events).await;
    listener.stop().await;
}
