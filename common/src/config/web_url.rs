//! `[share] web_url`: the address browsers use when something stands in front
//! of the web door — a TLS-terminating reverse proxy (Caddy, nginx) or a port
//! forward. Links are made from it, the credential cookie is `Secure` when it
//! is `https`, and the web door takes requests only from pages of exactly
//! this origin.
//!
//! Written `https://HOST[:PORT]`: a scheme and an authority, nothing after
//! (a proxy that serves the door under a path is not supported). `http` only
//! for a loopback host: anything else would carry what collaborators see and
//! type, and their credential, across the network unencrypted.

use std::net::IpAddr;

use serde::{Deserialize, Deserializer};

/// Empty, or a checked web address without a trailing `/`.
pub fn web_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    check(s.trim()).map_err(serde::de::Error::custom)
}

/// `url` as the daemon keeps it, or why it is not a web address it can use.
pub fn check(url: &str) -> Result<String, String> {
    if url.is_empty() {
        return Ok(String::new());
    }
    let bad = |why: &str| {
        format!(
            "`{url}` is not a web address browsers can use: {why} \
             (write https://HOST or https://HOST:PORT, or \"\" for the web door's own address)"
        )
    };
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("it has no scheme"))?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err(bad("it has no host"));
    }
    if authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad(
            "only a scheme and a host (and port) may be given, no path",
        ));
    }
    let host = host_of(authority).ok_or_else(|| bad("its port is not a number"))?;
    match scheme {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(bad(
                "plain http is only for a loopback host: anything else would carry the \
                 session and the credential unencrypted",
            ));
        }
        _ => return Err(bad("its scheme must be https (or http on loopback)")),
    }
    Ok(format!("{scheme}://{authority}"))
}

/// The host of `host[:port]` (IPv6 in brackets), if any port is a number.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    match port {
        Some(p) if p.parse::<u16>().is_err() => None,
        _ => Some(host),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxys_address_is_kept_without_its_trailing_slash() {
        assert_eq!(
            check("https://wrapd.example.org/").unwrap(),
            "https://wrapd.example.org"
        );
        assert_eq!(
            check("https://wrapd.example.org:8443").unwrap(),
            "https://wrapd.example.org:8443"
        );
        assert_eq!(
            check("http://127.0.0.1:7680").unwrap(),
            "http://127.0.0.1:7680"
        );
        assert_eq!(check("http://[::1]:7680").unwrap(), "http://[::1]:7680");
        assert_eq!(
            check("http://localhost:7680").unwrap(),
            "http://localhost:7680"
        );
        assert_eq!(check("").unwrap(), "");
    }

    #[test]
    fn anything_else_is_refused_saying_why() {
        for (url, why) in [
            ("wrapd.example.org", "no scheme"),
            ("https://", "no host"),
            ("https://wrapd.example.org/share", "no path"),
            ("https://wrapd.example.org:port", "port"),
            ("ftp://wrapd.example.org", "scheme must be https"),
            ("http://wrapd.example.org", "only for a loopback host"),
            ("http://10.0.0.1:7680", "only for a loopback host"),
        ] {
            let e = check(url).unwrap_err();
            assert!(e.contains(why) && e.contains(url), "{url}: {e}");
        }
    }
}
