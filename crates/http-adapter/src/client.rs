//! Where a request comes from, as a session records it: the client's
//! `User-Agent` and address (the one the rate limits count, which believes
//! `TRUST_PROXY_HOPS` proxies' `X-Forwarded-For`).

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header};
use futures_util::future::{Ready, ready};
use std::{convert::Infallible, net::IpAddr};
use trellis_domain::{ClientInfo, UserAgent};

/// The client's address as the rate-limit layer worked it out, kept with
/// the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddress(pub(crate) IpAddr);

/// The caller's client.
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl FromRequest for Client {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .and_then(UserAgent::from_header);
        let ip = req
            .extensions()
            .get::<ClientAddress>()
            .map(|address| address.0)
            .or_else(|| req.peer_addr().map(|peer| peer.ip()));
        ready(Ok(Client(ClientInfo { user_agent, ip })))
    }
}
