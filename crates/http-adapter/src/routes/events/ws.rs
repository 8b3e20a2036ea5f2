//! WebSocket: one text message per event, a ping every 25 s, closed when
//! nothing is heard for 60 s (1008), when the stream ends (1008 for a
//! client too far behind or an ended session, 1011 when storage fails), or
//! when the instance stops (1001).

use super::PING;
use crate::{
    ApiError, Lifecycle,
    dto::{EventView, RESYNC},
};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use futures_util::{StreamExt, stream::BoxStream};
use std::time::Duration;
use tokio::time::{Instant, interval_at, sleep_until, timeout};
use trellis_domain::Violation;
use trellis_ports::{Delivery, StreamEnd};

/// A client that answers nothing (pongs included) for this long is gone.
const LIVENESS: Duration = Duration::from_secs(60);
/// A message the client does not take within this long: it is not reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The upgrade, checked before anything is subscribed.
pub(super) fn handshake(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(HttpResponse, Session, MessageStream), ApiError> {
    actix_ws::handle(req, payload).map_err(|_| {
        ApiError::Validation(vec![Violation::new(
            "Upgrade",
            "is not a valid WebSocket handshake",
        )])
    })
}

/// Serves `deliveries` on the upgraded connection, on this worker.
pub(super) fn serve(
    session: Session,
    messages: MessageStream,
    deliveries: BoxStream<'static, Delivery>,
    lifecycle: Lifecycle,
) {
    actix_web::rt::spawn(async move {
        let mut session = session;
        if let Some(reason) = run(&mut session, messages, deliveries, lifecycle).await {
            let _ = timeout(SEND_TIMEOUT, session.close(Some(reason))).await;
        }
    });
}

fn close(code: CloseCode, description: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code,
        description: Some(description.to_owned()),
    })
}

/// Runs the stream; how to close it, unless the client has gone.
async fn run(
    session: &mut Session,
    mut messages: MessageStream,
    mut deliveries: BoxStream<'static, Delivery>,
    lifecycle: Lifecycle,
) -> Option<CloseReason> {
    let mut ping = interval_at(Instant::now() + PING, PING);
    let mut heard = Instant::now();
    let draining = lifecycle.draining();
    tokio::pin!(draining);
    loop {
        let text = tokio::select! {
            biased;
            () = &mut draining => return close(CloseCode::Away, "server stopping"),
            message = messages.next() => {
                heard = Instant::now();
                match message {
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            return None;
                        }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) => return close(CloseCode::Normal, "bye"),
                    Some(Ok(_)) => continue,
                    Some(Err(_)) => return close(CloseCode::Protocol, "protocol error"),
                    None => return None,
                }
            }
            delivery = deliveries.next() => match delivery {
                Some(Delivery::Event(event)) => {
                    serde_json::to_string(&EventView::from(&*event)).unwrap_or_default()
                }
                Some(Delivery::Resync) => RESYNC.to_owned(),
                Some(Delivery::End(StreamEnd::SessionEnded)) => {
                    return close(CloseCode::Policy, "session ended");
                }
                Some(Delivery::End(StreamEnd::TooSlow)) => {
                    return close(CloseCode::Policy, "too far behind");
                }
                Some(Delivery::End(StreamEnd::Unavailable)) | None => {
                    return close(CloseCode::Error, "service unavailable");
                }
            },
            _ = ping.tick() => {
                if session.ping(b"").await.is_err() {
                    return None;
                }
                continue;
            }
            () = sleep_until(heard + LIVENESS) => {
                return close(CloseCode::Policy, "no answer to pings");
            }
        };
        match timeout(SEND_TIMEOUT, session.text(text)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return None,
            // Not reading: as good as too far behind (the close waits in
            // line behind what the client has not taken).
            Err(_) => return close(CloseCode::Policy, "too far behind"),
        }
    }
}
