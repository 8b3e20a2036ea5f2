//! Server-Sent Events: one `id:` / `event:` / `data:` frame per event, a
//! `: keep-alive` comment every 25 s, and the end of the response when the
//! stream ends (a closed session, a client too far behind, a stopping
//! instance).

use super::PING;
use crate::{
    Lifecycle,
    dto::{EventView, RESYNC},
};
use actix_web::{
    HttpResponse, HttpResponseBuilder,
    http::{StatusCode, header},
    web::Bytes,
};
use futures_util::{
    StreamExt,
    stream::{self, BoxStream},
};
use std::{convert::Infallible, future::Future, pin::Pin};
use tokio::time::{Instant, Interval, interval_at};
use trellis_ports::Delivery;

/// The headers of a stream. `Connection: close`: a stream that ends takes
/// its connection with it, so that a stopping instance has none left.
fn stream_response() -> HttpResponseBuilder {
    let mut response = HttpResponse::build(StatusCode::OK);
    response
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .force_close();
    response
}

/// `HEAD`: the headers a stream would have.
pub(super) fn head() -> HttpResponse {
    stream_response().finish()
}

/// The response streaming `deliveries`, ended when `lifecycle` drains.
pub(super) fn open(deliveries: BoxStream<'static, Delivery>, lifecycle: Lifecycle) -> HttpResponse {
    let stream = EventStream {
        deliveries,
        ping: interval_at(Instant::now() + PING, PING),
        draining: Box::pin(async move { lifecycle.draining().await }),
        greeted: false,
        done: false,
    };
    let body = stream::unfold(stream, |mut stream| async move {
        let chunk = stream.next().await?;
        Some((Ok::<_, Infallible>(chunk), stream))
    });
    stream_response().streaming(body)
}

struct EventStream {
    deliveries: BoxStream<'static, Delivery>,
    ping: Interval,
    draining: Pin<Box<dyn Future<Output = ()>>>,
    greeted: bool,
    done: bool,
}

impl EventStream {
    async fn next(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        if !std::mem::replace(&mut self.greeted, true) {
            // At once, so that the client knows the stream is open.
            return Some(Bytes::from_static(b": connected\n\n"));
        }
        let chunk = tokio::select! {
            biased;
            () = &mut self.draining => None,
            delivery = self.deliveries.next() => match delivery {
                Some(Delivery::Event(event)) => Some(frame(&EventView::from(&*event))),
                Some(Delivery::Resync) => {
                    Some(Bytes::from(format!("event: resync\ndata: {RESYNC}\n\n")))
                }
                Some(Delivery::End(_)) | None => None,
            },
            _ = self.ping.tick() => Some(Bytes::from_static(b": keep-alive\n\n")),
        };
        self.done = chunk.is_none();
        chunk
    }
}

/// One event's frame. Compact JSON holds no newline: one `data:` line.
fn frame(event: &EventView) -> Bytes {
    let data = serde_json::to_string(event).unwrap_or_default();
    Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {data}\n\n",
        event.id(),
        event.kind()
    ))
}
