//! What the running services report about themselves, for the dashboard,
//! the JSON API and logs: per-service state, the SNTP sync, the mDNS name,
//! recent log lines, and the graceful-shutdown signal.
//!
//! One [`Status`] is created at start-up and shared (`Arc`) with every
//! service. Services write to it when their state changes; readers (the
//! HTTP API) take snapshots. Every method is cheap and never blocks on I/O.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use log::{Level, Log, Metadata, Record};
use tokio::sync::watch;

use crate::http::Settings;

/// How many recent log lines are kept for the dashboard.
pub(crate) const LOG_LINES: usize = 64;

/// A service's state as the dashboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // each variant is used by some service
pub(crate) enum ServiceState {
    /// Setting up (binding, resolving, connecting).
    Starting,
    /// Serving (a server) or working (a client with nothing to connect to).
    Running,
    /// A client connected to its peer (MQTT to the broker, SNTP synced).
    Connected,
    /// A client that lost or has not reached its peer; it keeps retrying.
    Disconnected,
    /// Stopped for good.
    Failed,
}

impl ServiceState {
    /// The lower-case name used in the JSON API.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ServiceState::Starting => "starting",
            ServiceState::Running => "running",
            ServiceState::Connected => "connected",
            ServiceState::Disconnected => "disconnected",
            ServiceState::Failed => "failed",
        }
    }
}

/// One service's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceInfo {
    /// The service ("http", "mqtt", "sntp").
    pub(crate) name: &'static str,
    /// Its state.
    pub(crate) state: ServiceState,
    /// One line for people: where it listens, what it talks to, counts.
    pub(crate) detail: String,
}

/// The last SNTP synchronisation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimeSync {
    /// The server that answered (name or address).
    pub(crate) server: String,
    /// Offset of the server's clock from ours, microseconds (positive: ours
    /// is behind).
    pub(crate) offset_us: i64,
    /// Round-trip delay, microseconds.
    pub(crate) delay_us: u64,
    /// The server's stratum.
    pub(crate) stratum: u8,
    /// The leap indicator (0 none, 1 +1 s, 2 -1 s, 3 unsynchronised).
    pub(crate) leap: u8,
    /// When the sync happened (our wall clock, Unix ms).
    pub(crate) at_unix_ms: u64,
}

/// One captured log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogLine {
    /// Wall-clock time, Unix milliseconds.
    pub(crate) unix_ms: u64,
    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub(crate) level: &'static str,
    /// The message (the module target is left out).
    pub(crate) message: String,
}

#[derive(Debug, Default)]
struct Inner {
    device_name: String,
    services: Vec<ServiceInfo>,
    time: Option<TimeSync>,
    mdns_name: Option<String>,
    settings: Option<Settings>,
}

/// The shared status of a running `petrel`.
#[derive(Debug)]
pub(crate) struct Status {
    started: Instant,
    inner: Mutex<Inner>,
    shutdown: watch::Sender<bool>,
}

/// Now as Unix milliseconds (0 if the clock is before 1970).
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Status {
    /// A fresh status for the device `name`, with the uptime clock started.
    pub(crate) fn new(device_name: &str) -> Arc<Status> {
        let (shutdown, _) = watch::channel(false);
        Arc::new(Status {
            started: Instant::now(),
            inner: Mutex::new(Inner {
                device_name: device_name.to_string(),
                ..Inner::default()
            }),
            shutdown,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated
        // in a way that matters to readers: take the data anyway.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Time since start-up.
    pub(crate) fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The device name (changes when the settings form renames it).
    pub(crate) fn device_name(&self) -> String {
        self.lock().device_name.clone()
    }

    /// Renames the device.
    pub(crate) fn set_device_name(&self, name: &str) {
        self.lock().device_name = name.to_string();
    }

    /// The dashboard's settings, one copy for the HTTP and HTTPS listeners:
    /// `init` the first time (the value at start), then the last saved.
    pub(crate) fn settings_or_init(&self, init: impl FnOnce() -> Settings) -> Settings {
        self.lock().settings.get_or_insert_with(init).clone()
    }

    /// Replaces the dashboard's settings (after they were saved).
    pub(crate) fn set_settings(&self, settings: Settings) {
        self.lock().settings = Some(settings);
    }

    /// Sets (or adds) a service's state and detail line.
    pub(crate) fn set_service(
        &self,
        name: &'static str,
        state: ServiceState,
        detail: impl Into<String>,
    ) {
        let detail = detail.into();
        let mut inner = self.lock();
        match inner.services.iter_mut().find(|s| s.name == name) {
            Some(s) => {
                s.state = state;
                s.detail = detail;
            }
            None => inner.services.push(ServiceInfo {
                name,
                state,
                detail,
            }),
        }
    }

    /// Every service that has reported, in the order they first did.
    pub(crate) fn services(&self) -> Vec<ServiceInfo> {
        self.lock().services.clone()
    }

    /// Records an SNTP synchronisation.
    pub(crate) fn set_time_sync(&self, sync: TimeSync) {
        self.lock().time = Some(sync);
    }

    /// The last SNTP synchronisation, if any.
    pub(crate) fn time_sync(&self) -> Option<TimeSync> {
        self.lock().time.clone()
    }

    /// Records the mDNS host name actually claimed (after any rename).
    pub(crate) fn set_mdns_name(&self, name: &str) {
        self.lock().mdns_name = Some(name.to_string());
    }

    /// The mDNS host name, once claimed.
    pub(crate) fn mdns_name(&self) -> Option<String> {
        self.lock().mdns_name.clone()
    }

    /// The most recent log lines, oldest first.
    pub(crate) fn recent_logs(&self) -> Vec<LogLine> {
        log_ring().lock().map_or_else(
            |p| p.into_inner().iter().cloned().collect(),
            |r| r.iter().cloned().collect(),
        )
    }

    /// A receiver that changes to `true` when `petrel` is shutting down
    /// (SIGINT/SIGTERM): services that must say goodbye (mDNS goodbyes,
    /// NetBIOS name release, MQTT DISCONNECT) watch it, do so, and return.
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Tells every service watching [`Status::shutdown_signal`] to stop.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

fn log_ring() -> &'static Mutex<VecDeque<LogLine>> {
    static RING: OnceLock<Mutex<VecDeque<LogLine>>> = OnceLock::new();
    RING.get_or_init(|| Mutex::new(VecDeque::with_capacity(LOG_LINES)))
}

/// A logger that keeps the last [`LOG_LINES`] lines at `info` or above for
/// the dashboard and hands every record on to `inner` (env_logger).
pub(crate) struct RingLogger<L> {
    inner: L,
}

impl<L: Log> RingLogger<L> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: L) -> Self {
        RingLogger { inner }
    }
}

impl<L: Log> Log for RingLogger<L> {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if record.level() <= Level::Info && self.inner.enabled(record.metadata()) {
            let line = LogLine {
                unix_ms: unix_ms(),
                level: record.level().as_str(),
                message: record.args().to_string(),
            };
            let mut ring = log_ring().lock().unwrap_or_else(|p| p.into_inner());
            if ring.len() == LOG_LINES {
                ring.pop_front();
            }
            ring.push_back(line);
        }
        self.inner.log(record);
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_keep_first_report_order_and_update_in_place() {
        let s = Status::new("dev");
        s.set_service("http", ServiceState::Starting, "");
        s.set_service("mqtt", ServiceState::Disconnected, "broker unreachable");
        s.set_service("http", ServiceState::Running, "127.0.0.1:8080");
        let all = s.services();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].name, "http");
        assert_eq!(all[0].state, ServiceState::Running);
        assert_eq!(all[0].detail, "127.0.0.1:8080");
        assert_eq!(all[1].state.as_str(), "disconnected");
    }

    #[test]
    fn shutdown_signal_reaches_subscribers() {
        let s = Status::new("dev");
        let rx = s.shutdown_signal();
        assert!(!*rx.borrow());
        s.begin_shutdown();
        assert!(*rx.borrow());
        s.set_device_name("other");
        assert_eq!(s.device_name(), "other");
    }

    #[test]
    fn ring_logger_keeps_the_last_lines_at_info_and_above() {
        struct Null;
        impl Log for Null {
            fn enabled(&self, _: &Metadata<'_>) -> bool {
                true
            }
            fn log(&self, _: &Record<'_>) {}
            fn flush(&self) {}
        }
        let logger = RingLogger::new(Null);
        for i in 0..LOG_LINES + 5 {
            logger.log(
                &Record::builder()
                    .level(Level::Info)
                    .args(format_args!("line {i}"))
                    .build(),
            );
        }
        logger.log(
            &Record::builder()
                .level(Level::Debug)
                .args(format_args!("hidden"))
                .build(),
        );
        let lines = Status::new("d").recent_logs();
        assert!(lines.len() <= LOG_LINES);
        assert!(
            lines
                .iter()
                .any(|l| l.message == format!("line {}", LOG_LINES + 4))
        );
        assert!(lines.iter().all(|l| l.message != "hidden"));
    }
}
