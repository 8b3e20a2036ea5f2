//! An upload's `multipart/form-data` body, read as a stream: the part named
//! `file` flows to the service chunk by chunk; every other part is read
//! and dropped, within limits, so that no client can make the server buffer
//! (the parser itself holds at most 64 KiB, headers included).

use crate::ApiError;
use actix_multipart::{Field, Multipart};
use actix_web::{HttpRequest, http::header, web};
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use std::{future::Future, time::Duration};
use tokio::sync::mpsc;
use trellis_domain::Violation;
use trellis_ports::{BoxError, Upload};

/// Most parts in one upload.
pub(super) const MAX_PARTS: usize = 8;
/// Most bytes of a part other than the file.
pub(super) const MAX_FIELD_BYTES: usize = 16 * 1024;
/// Chunks in flight between the body and storage.
const IN_FLIGHT: usize = 4;
/// Longest wait for the next bytes of a body: a client that sends nothing
/// for this long has its upload ended (it holds a connection and, for the
/// file, a partial object).
const IDLE: Duration = Duration::from_secs(30);

/// The next item of `stream`; [`Stalled`] if none comes within [`IDLE`].
async fn within_idle<S: futures_util::Stream + Unpin>(
    stream: &mut S,
) -> Result<Option<S::Item>, Stalled> {
    tokio::time::timeout(IDLE, stream.next())
        .await
        .map_err(|_| Stalled)
}

/// No bytes came for [`IDLE`].
#[derive(Debug)]
struct Stalled;

/// The body ended in a malformed part, or the client went away.
#[derive(Debug, thiserror::Error)]
#[error("the multipart body could not be read: {0}")]
pub(super) struct Unreadable(String);

fn unreadable() -> ApiError {
    ApiError::Validation(vec![Violation::new("file", "could not be read")])
}

/// The parts of an upload's body, as they arrive.
pub(super) struct Form {
    parts: Multipart,
    seen: usize,
}

impl Form {
    /// The body of `req`; 415 unless it is `multipart/form-data`.
    pub(super) fn new(req: &HttpRequest, payload: web::Payload) -> Result<Self, ApiError> {
        let form_data = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"));
        if !form_data {
            return Err(ApiError::UnsupportedMediaType);
        }
        Ok(Self {
            parts: Multipart::new(req.headers(), payload),
            seen: 0,
        })
    }

    /// The part named `file`, once the parts before it are read; `None` if
    /// the body ends first.
    pub(super) async fn file(&mut self) -> Result<Option<Field>, ApiError> {
        while let Some(field) = self.next_part().await? {
            if field.name() == Some("file") {
                return Ok(Some(field));
            }
            skip(field).await?;
        }
        Ok(None)
    }

    /// Reads the parts after the file: none of them may be another file.
    pub(super) async fn finish(mut self) -> Result<(), ApiError> {
        while let Some(field) = self.next_part().await? {
            if field.name() == Some("file") {
                return Err(ApiError::Validation(vec![Violation::new(
                    "file",
                    "must be sent once",
                )]));
            }
            skip(field).await?;
        }
        Ok(())
    }

    async fn next_part(&mut self) -> Result<Option<Field>, ApiError> {
        let Some(field) = within_idle(&mut self.parts)
            .await
            .map_err(|_| unreadable())?
        else {
            return Ok(None);
        };
        let field = field.map_err(|_| unreadable())?;
        self.seen += 1;
        if self.seen > MAX_PARTS {
            return Err(ApiError::Validation(vec![Violation::new(
                "body",
                format!("must have at most {MAX_PARTS} parts"),
            )]));
        }
        Ok(Some(field))
    }
}

/// Reads a part that is not the file, refusing one over [`MAX_FIELD_BYTES`].
async fn skip(mut field: Field) -> Result<(), ApiError> {
    let mut read = 0;
    while let Some(chunk) = within_idle(&mut field).await.map_err(|_| unreadable())? {
        read += chunk.map_err(|_| unreadable())?.len();
        if read > MAX_FIELD_BYTES {
            return Err(ApiError::Validation(vec![Violation::new(
                "body",
                format!("parts other than file must be at most {MAX_FIELD_BYTES} bytes"),
            )]));
        }
    }
    Ok(())
}

/// The file part as the service takes it, and the future that feeds its
/// bytes to it: the two run side by side on the request's task (a part is
/// bound to it), with at most [`IN_FLIGHT`] chunks between them. When the
/// service stops reading, the feeding stops.
pub(super) fn feed(mut file: Field) -> (Upload, impl Future<Output = ()>) {
    let disposition = file.content_disposition();
    let filename = disposition.and_then(|d| {
        d.get_filename_ext()
            .map(|ext| String::from_utf8_lossy(&ext.value).into_owned())
            .or_else(|| d.get_filename().map(str::to_owned))
    });
    let declared_type = file
        .content_type()
        .map(|mime| mime.essence_str().to_owned());
    let (chunks, received) = mpsc::channel::<Result<Bytes, BoxError>>(IN_FLIGHT);
    let feeding = async move {
        loop {
            let chunk = match within_idle(&mut file).await {
                Ok(Some(chunk)) => {
                    chunk.map_err(|error| BoxError::from(Unreadable(error.to_string())))
                }
                Ok(None) => return,
                Err(Stalled) => Err(BoxError::from(Unreadable(format!(
                    "no bytes for {} s",
                    IDLE.as_secs()
                )))),
            };
            let failed = chunk.is_err();
            if chunks.send(chunk).await.is_err() || failed {
                return;
            }
        }
    };
    let body = stream::unfold(received, |mut received| async move {
        received.recv().await.map(|chunk| (chunk, received))
    });
    let upload = Upload {
        filename,
        declared_type,
        body: body.boxed(),
    };
    (upload, feeding)
}
