//! Real clients of `GET /api/events`: Server-Sent Events read off a raw
//! socket (chunked transfer decoded by hand), and WebSockets through
//! tokio-tungstenite.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::{net::SocketAddr, time::Duration};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

/// What a stream gave next.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// An SSE event or a WebSocket text message: its `id:` and `event:`
    /// lines (SSE only) and its JSON.
    Event {
        id: Option<String>,
        kind: Option<String>,
        data: Value,
    },
    /// The stream ended; on a WebSocket, with this close code.
    Closed(Option<u16>),
    /// Nothing came in time.
    Silent,
}

impl Frame {
    /// The JSON of an event, or a panic naming what came instead.
    pub fn data(self) -> Value {
        match self {
            Frame::Event { data, .. } => data,
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

/// An open SSE stream.
pub struct Sse {
    stream: TcpStream,
    raw: Vec<u8>,
    text: String,
}

/// Opens `GET /api/events` as SSE; the status and body if it is refused.
pub async fn sse(
    addr: SocketAddr,
    token: &str,
    headers: &[(&str, &str)],
) -> Result<Sse, (u16, String)> {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let mut head = format!(
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
         Authorization: Bearer {token}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("sends");
    let mut raw = Vec::new();
    let end = loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("reads");
        assert!(n > 0, "closed before the head");
        raw.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status: u16 = head[9..12].parse().expect("a status");
    raw.drain(..end + 4);
    if status != 200 {
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw)).await;
        return Err((status, String::from_utf8_lossy(&raw).into_owned()));
    }
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    Ok(Sse {
        stream,
        raw,
        text: String::new(),
    })
}

impl Sse {
    /// The next event (comments skipped), the end of the stream, or silence.
    pub async fn next(&mut self, within: Duration) -> Frame {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(frame) = self.take_frame() {
                return frame;
            }
            self.decode_chunks();
            if let Some(frame) = self.take_frame() {
                return frame;
            }
            let mut chunk = [0u8; 8192];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return Frame::Silent,
                Ok(Ok(0)) | Ok(Err(_)) => return Frame::Closed(None),
                Ok(Ok(n)) => self.raw.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Everything received so far, comments included (decoded).
    pub fn seen(&self) -> &str {
        &self.text
    }

    /// Moves whole chunks of the chunked body into `text`.
    fn decode_chunks(&mut self) {
        while let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") {
            let size =
                usize::from_str_radix(String::from_utf8_lossy(&self.raw[..line_end]).trim(), 16)
                    .expect("a chunk size");
            if size == 0 || self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            let data = self.raw[line_end + 2..line_end + 2 + size].to_vec();
            self.raw.drain(..line_end + 2 + size + 2);
            self.text.push_str(&String::from_utf8_lossy(&data));
        }
    }

    fn take_frame(&mut self) -> Option<Frame> {
        loop {
            let end = self.text.find("\n\n")?;
            let block: String = self.text.drain(..end + 2).collect();
            let (mut id, mut kind, mut data) = (None, None, None);
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("id: ") {
                    id = Some(value.to_owned());
                } else if let Some(value) = line.strip_prefix("event: ") {
                    kind = Some(value.to_owned());
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str(value).expect("JSON data"));
                }
            }
            if let Some(data) = data {
                return Some(Frame::Event { id, kind, data });
            }
        }
    }
}

/// An open WebSocket.
pub struct Ws(WebSocketStream<MaybeTlsStream<TcpStream>>);

/// Opens `GET /api/events{query}` as a WebSocket, with a bearer token if
/// given; the refusal's status if it is refused.
pub async fn ws(addr: SocketAddr, query: &str, token: Option<&str>) -> Result<Ws, u16> {
    let mut request = format!("ws://{addr}/api/events{query}")
        .into_client_request()
        .expect("a request");
    if let Some(token) = token {
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).expect("a header"),
        );
    }
    match connect_async(request).await {
        Ok((socket, _)) => Ok(Ws(socket)),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(error) => panic!("WebSocket failed: {error}"),
    }
}

/// Opens a WebSocket whose socket takes in at most a few KiB (a client that
/// stops reading fills up fast).
pub async fn slow_ws(addr: SocketAddr, token: &str) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(4096).expect("a small buffer");
    let stream = socket.connect(addr).await.expect("connects");
    let mut request = format!("ws://{addr}/api/events")
        .into_client_request()
        .expect("a request");
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("a header"),
    );
    let (socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
        .await
        .expect("upgrades");
    Ws(socket)
}

impl Ws {
    /// The next text message, the close (and its code), or silence. Pings
    /// are answered by the library.
    pub async fn next(&mut self, within: Duration) -> Frame {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.0.next()).await {
                Err(_) => return Frame::Silent,
                Ok(None) | Ok(Some(Err(_))) => return Frame::Closed(None),
                Ok(Some(Ok(Message::Text(text)))) => {
                    return Frame::Event {
                        id: None,
                        kind: None,
                        data: serde_json::from_str(text.as_str()).expect("JSON"),
                    };
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Frame::Closed(frame.map(|frame| u16::from(frame.code)));
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Closes from the client's side.
    pub async fn close(mut self) {
        let _ = self.0.close(None).await;
        let _ = self.0.flush().await;
    }
}
