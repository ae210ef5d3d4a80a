//! The device side: the [`AsyncDevice`] trait and the observing wrapper that
//! sits between any `smoltcp::phy::Device` and the interface.

use core::cell::RefCell;
use core::task::{Context, Poll};

use smoltcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use smoltcp::time::Instant as SInstant;
use smoltcp::wire::Ipv4Address;

use super::observer::{Observer, Verdict};

/// A `smoltcp::phy::Device` that can tell the runner when a frame may have
/// arrived, so the runner sleeps instead of polling.
///
/// A driver without receive interrupts can instead be run with
/// [`Runner::run_polled`](super::Runner::run_polled).
pub trait AsyncDevice: Device {
    /// `Ready` when a received frame may be waiting (spurious readiness is
    /// harmless); otherwise arranges for `cx`'s waker to be woken when one
    /// arrives and returns `Pending`.
    fn poll_rx_ready(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

/// Wraps a device so the observer sees every frame.
pub(crate) struct ObservedDevice<'a, 'o, D> {
    inner: &'a mut D,
    observer: &'a RefCell<&'o mut Observer>,
    our_ip: Option<Ipv4Address>,
}

impl<'a, 'o, D> ObservedDevice<'a, 'o, D> {
    pub(crate) fn new(
        inner: &'a mut D,
        observer: &'a RefCell<&'o mut Observer>,
        our_ip: Option<Ipv4Address>,
    ) -> Self {
        ObservedDevice {
            inner,
            observer,
            our_ip,
        }
    }
}

impl<'a, 'o, D: Device> Device for ObservedDevice<'a, 'o, D> {
    type RxToken<'t>
        = ObservedRx<'t, 'o, D::RxToken<'t>>
    where
        Self: 't;
    type TxToken<'t>
        = ObservedTx<'t, 'o, D::TxToken<'t>>
    where
        Self: 't;

    fn receive(&mut self, timestamp: SInstant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let (rx, tx) = self.inner.receive(timestamp)?;
        Some((
            ObservedRx {
                inner: rx,
                observer: self.observer,
                our_ip: self.our_ip,
            },
            ObservedTx {
                inner: tx,
                observer: self.observer,
            },
        ))
    }

    fn transmit(&mut self, timestamp: SInstant) -> Option<Self::TxToken<'_>> {
        let tx = self.inner.transmit(timestamp)?;
        Some(ObservedTx {
            inner: tx,
            observer: self.observer,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

pub(crate) struct ObservedRx<'a, 'o, R> {
    inner: R,
    observer: &'a RefCell<&'o mut Observer>,
    our_ip: Option<Ipv4Address>,
}

impl<R: RxToken> RxToken for ObservedRx<'_, '_, R> {
    fn consume<T, F>(self, f: F) -> T
    where
        F: FnOnce(&[u8]) -> T,
    {
        let observer = self.observer;
        let our_ip = self.our_ip;
        self.inner.consume(|frame| {
            let verdict = observer.borrow_mut().ingress(frame, our_ip);
            match verdict {
                Verdict::Pass => f(frame),
                // smoltcp cannot be told to skip a token, but it discards a
                // frame too short to be Ethernet without side effects.
                Verdict::Drop => f(&[]),
            }
        })
    }

    fn meta(&self) -> smoltcp::phy::PacketMeta {
        self.inner.meta()
    }
}

pub(crate) struct ObservedTx<'a, 'o, T> {
    inner: T,
    observer: &'a RefCell<&'o mut Observer>,
}

impl<T: TxToken> TxToken for ObservedTx<'_, '_, T> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let observer = self.observer;
        self.inner.consume(len, |buf| {
            let r = f(buf);
            observer.borrow_mut().egress(buf);
            r
        })
    }

    fn set_meta(&mut self, meta: smoltcp::phy::PacketMeta) {
        self.inner.set_meta(meta)
    }
}
