//! A minimal HTTP/1.1 client on a raw socket, one request per connection,
//! for tests that must tell "never accepted" from "accepted, then dropped".

use std::{net::SocketAddr, time::Duration};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// How a request failed.
#[derive(Debug, PartialEq, Eq)]
pub enum RawError {
    /// The connection was refused: the request was never accepted.
    Refused,
    /// The connection was made but no complete answer came back.
    Dropped(String),
}

/// Sends one request with `Connection: close` and reads the whole answer:
/// the status code and the body.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    json: Option<&str>,
) -> Result<(u16, String), RawError> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|_| RawError::Refused)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = json.unwrap_or_default();
    if json.is_some() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    head.push_str(body);
    let dropped = |e: std::io::Error| RawError::Dropped(e.to_string());
    stream.write_all(head.as_bytes()).await.map_err(dropped)?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .map_err(|_| RawError::Dropped("timed out".into()))?
        .map_err(dropped)?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| RawError::Dropped(format!("no status line in {} bytes", answer.len())))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
