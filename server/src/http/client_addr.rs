//! The address of the person behind a request. Behind a reverse proxy the TCP
//! peer is the proxy, so every limit keyed on it would make all its users share
//! one budget; the proxy's `X-Forwarded-For` names the client instead. It is
//! believed only when the peer is one of `LIVE_TRUSTED_PROXIES`, and then only
//! as far as trusted hops vouch for it: read right to left, skipping trusted
//! addresses, the first untrusted one is the client (every hop trusted: the
//! leftmost; a malformed entry ends the walk at the last good one). A client
//! can write anything it likes to the left of what the proxies append, and none
//! of it is read.
//!
//! The session layer resolves it once per request and leaves it in the
//! request's extensions as [`ClientAddr`] for every limit to use.

use std::{
    net::{IpAddr, SocketAddr},
    str::FromStr,
};

use axum::http::HeaderMap;
use ipnet::IpNet;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address as this server believes it (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The proxies whose `X-Forwarded-For` is believed: addresses and CIDRs, v4 and v6.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = anyhow::Error;

    /// `"127.0.0.1, 10.0.0.0/8, ::1, fd00::/8"`; an empty list trusts none.
    fn from_str(list: &str) -> anyhow::Result<Self> {
        if list.trim().is_empty() {
            return Ok(Self::default());
        }
        let nets = list
            .split(',')
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .map(|net| net.trunc())
                    .or_else(|_| entry.parse::<IpAddr>().map(|ip| IpNet::from(ip.to_canonical())))
                    .map_err(|_| anyhow::anyhow!("{entry:?} is neither an IP address nor a CIDR"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self(nets))
    }
}

/// One `X-Forwarded-For` entry: an address, tolerating a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry.parse::<IpAddr>().or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip())).ok().map(|ip| ip.to_canonical())
}

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return ClientAddr(peer);
        }
        // Several headers read as one list, in order.
        let entries: Vec<&str> = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Some(ip) = parse_entry(entry) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        ClientAddr(client)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies(list: &str) -> TrustedProxies {
        list.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn client(list: &str, peer: &str, values: &[&str]) -> IpAddr {
        proxies(list).client(ip(peer), &forwarded(values)).0
    }

    #[test]
    fn trusted_proxies_are_addresses_and_cidrs_of_both_families() {
        let trusted = proxies(" 127.0.0.1, 10.0.0.0/8 ,::1, fd00::/8");
        for yes in ["127.0.0.1", "10.20.30.40", "::1", "fd12::7"] {
            assert!(trusted.trusts(ip(yes)), "{yes}");
        }
        for no in ["127.0.0.2", "11.0.0.1", "::2", "fe80::1"] {
            assert!(!trusted.trusts(ip(no)), "{no}");
        }
        assert_eq!(proxies(""), TrustedProxies::default());
    }

    #[test]
    fn a_malformed_trusted_proxy_is_an_error() {
        for bad in ["localhost", "10.0.0.0/33", "127.0.0.1,,::1", "1.2.3.4/x", "127.0.0.1;10.0.0.1"] {
            assert!(bad.parse::<TrustedProxies>().is_err(), "{bad}");
        }
    }

    #[test]
    fn without_trusted_proxies_the_forwarded_header_is_ignored() {
        assert_eq!(client("", "127.0.0.1", &["203.0.113.9"]), ip("127.0.0.1"));
        assert_eq!(client("10.0.0.0/8", "192.0.2.1", &["203.0.113.9"]), ip("192.0.2.1"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() {
        // The client forged the first entry; nginx appended the real one.
        assert_eq!(client("127.0.0.1", "127.0.0.1", &["198.51.100.7, 203.0.113.9"]), ip("203.0.113.9"));
        // Trusted hops on the way are skipped.
        assert_eq!(
            client("127.0.0.1, 10.0.0.0/8", "127.0.0.1", &["198.51.100.7, 203.0.113.9, 10.1.2.3"]),
            ip("203.0.113.9")
        );
        // Several headers read as one list.
        assert_eq!(client("127.0.0.1", "127.0.0.1", &["198.51.100.7", "203.0.113.9"]), ip("203.0.113.9"));
        assert_eq!(client("::1", "::1", &["2001:db8::5"]), ip("2001:db8::5"));
    }

    #[test]
    fn when_every_entry_is_trusted_the_leftmost_is_the_client() {
        assert_eq!(client("10.0.0.0/8", "10.0.0.1", &["10.0.0.9, 10.0.0.5"]), ip("10.0.0.9"));
        assert_eq!(client("127.0.0.1", "127.0.0.1", &[]), ip("127.0.0.1"), "no header: the peer itself");
    }

    #[test]
    fn a_malformed_entry_stops_the_walk_at_the_last_good_address() {
        assert_eq!(client("127.0.0.1, 10.0.0.0/8", "127.0.0.1", &["203.0.113.9, garbage, 10.0.0.5"]), ip("10.0.0.5"));
        assert_eq!(client("127.0.0.1", "127.0.0.1", &["203.0.113.9, unknown"]), ip("127.0.0.1"));
    }

    #[test]
    fn ports_and_v4_mapped_v6_addresses_are_read_as_plain_addresses() {
        assert_eq!(client("127.0.0.1", "::ffff:127.0.0.1", &["203.0.113.9:5555"]), ip("203.0.113.9"));
        assert_eq!(client("127.0.0.1", "127.0.0.1", &["[2001:db8::5]:443"]), ip("2001:db8::5"));
    }
}
