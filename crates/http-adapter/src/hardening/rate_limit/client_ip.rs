//! Which client a request counts against.
//!
//! By default the socket peer: nothing the client writes can change it.
//! Behind `N` trusted reverse proxies, each appends the address it received
//! the request from to `X-Forwarded-For`, so the `N`th entry from the right
//! is the address the outermost trusted proxy saw; entries further left were
//! written by the client and are not believed.

use actix_web::http::header::HeaderMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// The header reverse proxies append to.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The address the request is attributed to: the `trusted_hops`th
/// `X-Forwarded-For` entry from the right when `trusted_hops > 0` and that
/// entry exists and is an address; otherwise the socket peer.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted_hops: u32) -> Option<IpAddr> {
    if trusted_hops == 0 {
        return peer;
    }
    forwarded_entry(headers, trusted_hops as usize)
        .and_then(parse_entry)
        .or(peer)
}

/// The `hops`th entry from the right over every `X-Forwarded-For` header,
/// in the order they arrived (several headers are one comma list).
fn forwarded_entry(headers: &HeaderMap, hops: usize) -> Option<&str> {
    let values: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .map(|value| value.to_str().ok())
        .collect::<Option<_>>()?;
    values
        .iter()
        .rev()
        .flat_map(|value| value.rsplit(','))
        .map(str::trim)
        .nth(hops - 1)
}

/// An entry is an address, optionally with a port (`1.2.3.4:80`,
/// `[2001:db8::1]:443`) or in brackets; anything else is not believed.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| inner.parse::<Ipv6Addr>().ok())
                .map(IpAddr::V6)
        })
}

/// The counter key of an address. IPv6 clients are counted per /64, the
/// block one host usually gets, so rotating through its own addresses does
/// not earn a fresh budget; IPv4-mapped IPv6 counts as the IPv4 address.
pub fn bucket(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", Ipv6Addr::from(network))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(
                FORWARDED_FOR.parse().unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn without_trusted_hops_the_header_is_ignored() {
        assert_eq!(client_ip(Some(PEER), &headers(&["1.2.3.4"]), 0), Some(PEER));
        assert_eq!(client_ip(None, &headers(&["1.2.3.4"]), 0), None);
    }

    #[test]
    fn takes_the_nth_entry_from_the_right() {
        let list = headers(&["6.6.6.6, 1.2.3.4", "5.5.5.5"]);
        assert_eq!(client_ip(Some(PEER), &list, 1), ip("5.5.5.5"));
        assert_eq!(client_ip(Some(PEER), &list, 2), ip("1.2.3.4"));
        assert_eq!(client_ip(Some(PEER), &list, 3), ip("6.6.6.6"));
    }

    #[test]
    fn falls_back_to_the_peer_when_the_entry_is_missing_or_junk() {
        assert_eq!(client_ip(Some(PEER), &headers(&["1.2.3.4"]), 2), Some(PEER));
        assert_eq!(client_ip(Some(PEER), &headers(&[]), 1), Some(PEER));
        for junk in ["unknown", "", "1.2.3.4.5", "::zz", "1.2.3.4, "] {
            assert_eq!(
                client_ip(Some(PEER), &headers(&[junk]), 1),
                Some(PEER),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn accepts_ports_and_brackets() {
        for (entry, expected) in [
            (" 1.2.3.4:5678 ", "1.2.3.4"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
        ] {
            assert_eq!(client_ip(Some(PEER), &headers(&[entry]), 1), ip(expected));
        }
    }

    #[test]
    fn buckets_ipv6_per_64_and_unmaps_ipv4() {
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(bucket(ip("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
        assert_eq!(bucket(ip("::ffff:1.2.3.4")), "1.2.3.4");
        assert_eq!(bucket(ip("1.2.3.4")), "1.2.3.4");
        assert_eq!(bucket(None), "unknown");
    }
}
