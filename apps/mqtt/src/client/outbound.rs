//! Outbound side: copying queued packets and streamed payloads out.

use super::*;

impl<const MAX_INFLIGHT: usize, const MAX_SUBS: usize, const MAX_ALIASES: usize>
    Client<'_, MAX_INFLIGHT, MAX_SUBS, MAX_ALIASES>
{
    /// The next bytes to write to the transport, copied into `buf`
    /// (at least [`MIN_TRANSMIT`] bytes). `None`: nothing to send now.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<usize> {
        if buf.len() < MIN_TRANSMIT {
            return None;
        }
        let n = self.transmit(buf)?;
        self.last_tx = self.now;
        self.rearm_keepalive();
        Some(n)
    }

    fn transmit(&mut self, buf: &mut [u8]) -> Option<usize> {
        let pkt = self.next_control()?;
        match pkt {
            Ok(pkt) => encode(&pkt, self.version(), buf).ok(),
            Err(c) => Some(self.continue_cursor(c, buf)),
        }
    }

    /// What goes out next: a packet to encode now (DISCONNECT, an answer,
    /// PINGREQ, PUBREL) or queued bytes to copy from under a cursor.
    fn next_control(&mut self) -> Option<Result<Packet<'static>, Cursor>> {
        match self.state {
            State::Disconnected => return None,
            State::Closing { send_disconnect } => {
                let reason = send_disconnect?;
                self.state = State::Closing {
                    send_disconnect: None,
                };
                return Some(Ok(Packet::Disconnect(Disconnect {
                    reason,
                    properties: Properties::EMPTY,
                })));
            }
            _ => {}
        }
        if let Some(c) = self.cursor {
            return Some(Err(c));
        }
        if self.connect_pending {
            self.connect_pending = false;
            return Some(Err(Cursor::Connect { offset: 0 }));
        }
        if let Some(ack) = self.acks.pop_front() {
            return Some(Ok(match ack {
                Control::PubAck(id) => Packet::PubAck(PubResponse::new(id)),
                Control::PubRec(id) => Packet::PubRec(PubResponse::new(id)),
                Control::PubComp(id) => Packet::PubComp(PubResponse::new(id)),
            }));
        }
        if self.ping_needed {
            self.ping_needed = false;
            self.ping_outstanding = true;
            return Some(Ok(Packet::PingReq));
        }
        if self.state != State::Connected || self.tx_stream.is_some() {
            return None;
        }
        let inflight = self
            .outbox
            .iter()
            .filter(|s| {
                matches!(s.meta.kind, OutKind::Publish { qos, .. } if qos != QoS::AtMostOnce)
                    && matches!(
                        s.meta.state,
                        OutState::ExpectAck | OutState::ExpectPubComp { .. }
                    )
            })
            .count();
        let quota = usize::from(self.limits.receive_maximum);
        for i in 0..self.outbox.len() {
            let slot = self.outbox.slot(i)?;
            match slot.meta.state {
                OutState::ExpectPubComp { rel_sent: false } => {
                    if let Some(m) = self.outbox.meta_mut(i) {
                        m.state = OutState::ExpectPubComp { rel_sent: true };
                    }
                    return Some(Ok(Packet::PubRel(PubResponse::new(slot.meta.id()))));
                }
                OutState::Queued => {
                    if let OutKind::Publish { qos, .. } = slot.meta.kind
                        && qos != QoS::AtMostOnce
                        && inflight >= quota
                    {
                        // Receive Maximum reached: keep order, wait.
                        return None;
                    }
                    return Some(Err(Cursor::Entry {
                        seq: slot.meta.seq,
                        offset: 0,
                    }));
                }
                _ => {}
            }
        }
        None
    }

    /// Copies the next piece of the item under the cursor.
    fn continue_cursor(&mut self, c: Cursor, buf: &mut [u8]) -> usize {
        let (src, offset, idx) = match c {
            Cursor::Connect { offset } => (self.outbox.front(), offset, None),
            Cursor::Entry { seq, offset } => match self.outbox.position(|m| m.seq == seq) {
                Some(i) => (self.outbox.bytes(i), offset, Some(i)),
                None => {
                    self.cursor = None;
                    return 0;
                }
            },
        };
        let rest = src.get(offset..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(d), Some(s)) = (buf.get_mut(..n), rest.get(..n)) {
            d.copy_from_slice(s);
        }
        let done = offset + n >= src.len();
        self.cursor = match (done, c) {
            (true, _) => None,
            (false, Cursor::Connect { .. }) => Some(Cursor::Connect { offset: offset + n }),
            (false, Cursor::Entry { seq, .. }) => Some(Cursor::Entry {
                seq,
                offset: offset + n,
            }),
        };
        if done && let Some(i) = idx {
            self.entry_sent(i);
        }
        n
    }

    fn entry_sent(&mut self, i: usize) {
        let Some(slot) = self.outbox.slot(i) else {
            return;
        };
        if let OutKind::Publish { qos, id, stream } = slot.meta.kind {
            if let Some(len) = stream {
                self.tx_stream = Some(StreamInfo {
                    packet_id: (id != 0).then_some(id),
                    len,
                    offset: 0,
                });
            }
            if qos == QoS::AtMostOnce {
                self.outbox.remove(i);
                return;
            }
        }
        if let Some(m) = self.outbox.meta_mut(i) {
            m.state = OutState::ExpectAck;
        }
    }

    /// The streamed PUBLISH waiting for payload, if any.
    pub fn stream_pending(&self) -> Option<StreamInfo> {
        self.tx_stream
    }

    /// Copies the next chunk of a streamed PUBLISH's payload into `buf` and
    /// returns its length. `payload` is the whole payload, the same slice on
    /// every call.
    pub fn poll_stream(&mut self, payload: &[u8], buf: &mut [u8]) -> Result<usize, CommandError> {
        let mut s = self.tx_stream.ok_or(CommandError::NoStream)?;
        if payload.len() != s.len {
            return Err(CommandError::PayloadLength);
        }
        let rest = payload.get(s.offset..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(d), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            d.copy_from_slice(src);
        }
        s.offset += n;
        self.tx_stream = if s.offset >= s.len { None } else { Some(s) };
        if n > 0 {
            self.last_tx = self.now;
            self.rearm_keepalive();
        }
        Ok(n)
    }
}
