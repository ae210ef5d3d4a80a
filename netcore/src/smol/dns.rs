//! Host-name resolution through smoltcp's DNS client (feature `dns`;
//! address literals without it).

use core::cell::RefCell;
use core::net::IpAddr;

use super::inner::Inner;
use crate::error::DnsError;
use crate::timer::Clock;
use client::lookup;

pub(crate) async fn resolve<'d, C: Clock>(
    inner: &'d RefCell<Inner<'d>>,
    clock: &C,
    host: &str,
) -> Result<IpAddr, DnsError> {
    match literal(host) {
        Some(r) => r,
        None => lookup(inner, clock, host).await,
    }
}

/// Address literals (and `localhost`), answered without a lookup.
fn literal(host: &str) -> Option<Result<IpAddr, DnsError>> {
    // This backend is IPv4-only: parsing only IPv4 literals keeps `core`'s
    // IPv6 parser (1.1 KB of flash) out of firmware, and `small`'s IPv4
    // parser is 0.6 KB smaller than `core`'s.
    if let Some(ip) = crate::small::parse_ipv4(host) {
        return Some(Ok(IpAddr::V4(ip)));
    }
    if host.contains(':') {
        // An IPv6 literal: not a name to look up, and not reachable here.
        return Some(Err(DnsError::InvalidName));
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Some(Ok(IpAddr::V4(core::net::Ipv4Addr::LOCALHOST)));
    }
    None
}

/// Without the DNS client (feature `dns`) only literals resolve.
#[cfg(not(feature = "dns"))]
mod client {
    use core::cell::RefCell;
    use core::net::IpAddr;

    use super::Inner;
    use crate::error::DnsError;
    use crate::timer::Clock;

    pub(super) async fn lookup<'d, C: Clock>(
        _inner: &'d RefCell<Inner<'d>>,
        _clock: &C,
        _host: &str,
    ) -> Result<IpAddr, DnsError> {
        Err(DnsError::NoServer)
    }
}

/// smoltcp's DNS client asking the configured servers.
#[cfg(feature = "dns")]
mod client {
    use core::cell::RefCell;
    use core::future::poll_fn;
    use core::net::IpAddr;
    use core::task::Poll;

    use smoltcp::socket::dns as sdns;
    use smoltcp::wire::{DnsQueryType, IpAddress};

    use super::Inner;
    use crate::error::DnsError;
    use crate::time::Duration;
    use crate::timer::{Clock, with_timeout};

    /// How long a lookup may take in all (smoltcp retries inside this).
    const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

    /// Cancels the query if the lookup future is dropped before it finished, so
    /// the query slot is never leaked.
    struct QueryGuard<'a, 'd> {
        inner: &'a RefCell<Inner<'d>>,
        query: Option<sdns::QueryHandle>,
    }

    impl Drop for QueryGuard<'_, '_> {
        fn drop(&mut self) {
            if let Some(q) = self.query.take()
                && let Ok(mut i) = self.inner.try_borrow_mut()
                && let Some(h) = i.dns
            {
                i.sockets.get_mut::<sdns::Socket>(h).cancel_query(q);
            }
        }
    }

    /// Asks the configured DNS servers for `host`'s IPv4 address.
    pub(super) async fn lookup<'d, C: Clock>(
        inner: &'d RefCell<Inner<'d>>,
        clock: &C,
        host: &str,
    ) -> Result<IpAddr, DnsError> {
        let query = {
            let mut i = inner.borrow_mut();
            let h = i.dns.ok_or(DnsError::NoServer)?;
            if i.dns_servers.is_empty() {
                return Err(DnsError::NoServer);
            }
            let Inner { iface, sockets, .. } = &mut *i;
            let q = sockets
                .get_mut::<sdns::Socket>(h)
                .start_query(iface.context(), host, DnsQueryType::A)
                .map_err(|e| match e {
                    sdns::StartQueryError::NoFreeSlot => DnsError::NoBuffer,
                    _ => DnsError::InvalidName,
                })?;
            i.wake_runner();
            q
        };
        let mut guard = QueryGuard {
            inner,
            query: Some(query),
        };
        let lookup = poll_fn(|cx| {
            let mut i = inner.borrow_mut();
            let Some(h) = i.dns else {
                return Poll::Ready(Err(DnsError::NoServer));
            };
            let sock = i.sockets.get_mut::<sdns::Socket>(h);
            match sock.get_query_result(query) {
                Ok(addrs) => {
                    guard.query = None;
                    Poll::Ready(
                        addrs
                            .iter()
                            .find_map(|a| match a {
                                IpAddress::Ipv4(v4) => Some(IpAddr::V4(*v4)),
                                #[allow(unreachable_patterns)]
                                _ => None,
                            })
                            .ok_or(DnsError::NotFound),
                    )
                }
                Err(sdns::GetQueryResultError::Pending) => {
                    sock.register_query_waker(query, cx.waker());
                    Poll::Pending
                }
                Err(sdns::GetQueryResultError::Failed) => {
                    guard.query = None;
                    Poll::Ready(Err(DnsError::NotFound))
                }
            }
        });
        match with_timeout(clock, LOOKUP_TIMEOUT, lookup).await {
            Ok(r) => r,
            Err(_) => Err(DnsError::TimedOut),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_answered_without_a_lookup() {
        assert_eq!(
            literal("198.51.100.7"),
            Some(Ok(IpAddr::V4(core::net::Ipv4Addr::new(198, 51, 100, 7))))
        );
        assert_eq!(
            literal("LocalHost"),
            Some(Ok(IpAddr::V4(core::net::Ipv4Addr::LOCALHOST)))
        );
        // IPv6 literals cannot be reached on this IPv4-only backend.
        assert_eq!(literal("::1"), Some(Err(DnsError::InvalidName)));
        assert_eq!(literal("[2001:db8::1]"), Some(Err(DnsError::InvalidName)));
        // Names (and near-literals) go to the DNS client, if there is one.
        assert_eq!(literal("broker.petrel.test"), None);
        assert_eq!(literal("198.51.100.256"), None);
        assert_eq!(literal(""), None);
    }
}
