//! Host-name resolution through the host's resolver (`getaddrinfo`).

use core::net::IpAddr;

use super::errors::dns_error;
use crate::error::DnsError;

/// How long one lookup may take before it is reported as timed out.
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether `name` is a syntactically valid host name (RFC 1123 labels;
/// underscores allowed, as in service names).
pub(crate) fn valid_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Resolves `host`: an address literal directly, a name to its first IPv4
/// address.
pub(crate) async fn resolve(host: &str) -> Result<IpAddr, DnsError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    if !valid_host_name(host) {
        return Err(DnsError::InvalidName);
    }
    let lookup = tokio::net::lookup_host((host, 0));
    let addrs = match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
        Ok(Ok(addrs)) => addrs,
        Ok(Err(e)) => return Err(dns_error(&e)),
        Err(_elapsed) => return Err(DnsError::TimedOut),
    };
    addrs
        .map(|a| a.ip())
        .find(IpAddr::is_ipv4)
        .ok_or(DnsError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_name_syntax() {
        assert!(valid_host_name("localhost"));
        assert!(valid_host_name("broker.example.org."));
        assert!(valid_host_name("_mqtt-1.local"));
        assert!(!valid_host_name(""));
        assert!(!valid_host_name("a..b"));
        assert!(!valid_host_name("-a.b"));
        assert!(!valid_host_name("bad name"));
        assert!(!valid_host_name(&"a".repeat(64)));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn literals_and_localhost() {
        assert_eq!(resolve("127.0.0.1").await, Ok(IpAddr::from([127, 0, 0, 1])));
        assert!(resolve("::1").await.is_ok_and(|ip| ip.is_ipv6()));
        assert_eq!(resolve("no such host!").await, Err(DnsError::InvalidName));
        assert!(resolve("localhost").await.is_ok_and(|ip| ip.is_loopback()));
    }
}
