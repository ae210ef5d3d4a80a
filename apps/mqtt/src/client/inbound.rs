//! Inbound side: parsing the receive buffer into events.

use super::*;

/// What a decoded packet asks the client to do, without borrowing the buffer.
#[derive(Copy, Clone, Debug)]
enum Summary {
    ConnAck {
        session_present: bool,
        code: ReasonCode,
        limits: ServerLimits,
        server_keep_alive: Option<u16>,
    },
    Publish {
        qos: QoS,
        id: u16,
        alias_error: Option<ReasonCode>,
    },
    /// PUBACK (QoS 1), PUBREC (QoS 2, `rec`) or PUBCOMP (QoS 2).
    PubResponse {
        id: u16,
        reason: ReasonCode,
        qos: QoS,
        rec: bool,
    },
    PubRel(u16),
    /// SUBACK or UNSUBACK for the entry of this kind.
    SubAck(OutKind),
    PingResp,
    Disconnect(ReasonCode),
    Unexpected,
}

/// The result of processing a summary.
enum Outcome {
    /// Nothing for the application; go on parsing.
    Nothing,
    Event(Queued),
    /// A failure event that is not queued.
    Lost(LostReason),
    /// Build the PUBLISH or SUBACK event from the buffer.
    Reparse,
}

/// Records or checks the topic alias of a PUBLISH (MQTT 5 3.3.2.3.4).
fn handle_alias<const A: usize>(
    aliases: &mut Arena<'_, u16, A>,
    p: &Publish<'_>,
) -> Option<ReasonCode> {
    let alias = p.properties.topic_alias()?;
    // The maximum we announce: a constant, so with no aliases the rest goes.
    if alias == 0 || usize::from(alias) > A {
        return Some(ReasonCode::TOPIC_ALIAS_INVALID);
    }
    if p.topic.is_empty() {
        return match aliases.position(|a| *a == alias) {
            Some(_) => None,
            None => Some(ReasonCode::PROTOCOL_ERROR),
        };
    }
    if let Some(i) = aliases.position(|a| *a == alias) {
        aliases.remove(i);
    }
    let topic = p.topic.as_bytes();
    let r = aliases.push(alias, |buf| match buf.get_mut(..topic.len()) {
        Some(d) => {
            d.copy_from_slice(topic);
            Ok(topic.len())
        }
        None => Err(EncodeError::BufferTooSmall {
            needed: topic.len(),
        }),
    });
    r.err().map(|_| ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR)
}

/// The limits and server keep alive a CONNACK announces, in one pass over
/// its (validated, so duplicate-free) properties.
fn limits_from(p: &Properties<'_>) -> (ServerLimits, Option<u16>) {
    let mut l = ServerLimits::DEFAULT;
    let mut keep_alive = None;
    // Two-byte properties: `n` holds a u16.
    p.each_int(|id, n| match id {
        0x13 => keep_alive = Some(n as u16),
        0x21 => l.receive_maximum = n as u16,
        0x24 if n == 0 => l.maximum_qos = QoS::AtMostOnce,
        0x24 => l.maximum_qos = QoS::AtLeastOnce,
        0x25 => l.retain_available = n == 1,
        0x27 => l.maximum_packet_size = n,
        _ => {}
    });
    (l, keep_alive)
}

fn message<'e, const A: usize>(p: &Publish<'e>, aliases: &'e Arena<'_, u16, A>) -> Message<'e> {
    // (Without an alias table there is nothing to look up.)
    let topic = if A != 0 && p.topic.is_empty() {
        p.properties
            .topic_alias()
            .and_then(|a| aliases.position(|m| *m == a))
            .and_then(|i| core::str::from_utf8(aliases.bytes(i)).ok())
            .unwrap_or("")
    } else {
        p.topic
    };
    Message {
        topic,
        payload: p.payload,
        qos: p.qos,
        retain: p.retain,
        dup: p.dup,
        packet_id: p.packet_id,
        properties: p.properties,
    }
}

impl<const MAX_INFLIGHT: usize, const MAX_SUBS: usize, const MAX_ALIASES: usize>
    Client<'_, MAX_INFLIGHT, MAX_SUBS, MAX_ALIASES>
{
    /// The next event. Inbound packets are parsed here, one per call at most
    /// for those that produce an event; the returned event borrows the client
    /// until the next call. Returns `None` when nothing more can be parsed
    /// (more bytes needed, or answers waiting in `poll_transmit`).
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        // Every pass either returns or consumes at least one byte of the
        // receive buffer / advances the stream state, so the loop is bounded
        // by the buffered bytes.
        loop {
            self.compact_rx();
            if let Some(q) = self.events.pop_front() {
                return Some(q.event());
            }
            if !matches!(self.state, State::Connected | State::ExpectConnAck) {
                return None;
            }
            match self.rx_stream {
                RxStream::None => {}
                RxStream::Payload {
                    remaining,
                    deliver,
                    ack,
                } => {
                    if remaining == 0 {
                        self.rx_stream = RxStream::End { deliver, ack };
                        continue;
                    }
                    let n = remaining.min(self.rx_len);
                    if n == 0 {
                        return None;
                    }
                    self.rx_discard = n;
                    let left = remaining - n;
                    self.rx_stream = if left == 0 {
                        RxStream::End { deliver, ack }
                    } else {
                        RxStream::Payload {
                            remaining: left,
                            deliver,
                            ack,
                        }
                    };
                    if deliver {
                        let rx: &[u8] = self.rx;
                        return Some(Event::PublishData(rx.get(..n).unwrap_or_default()));
                    }
                    continue;
                }
                RxStream::End { deliver, ack } => {
                    if let Some(a) = ack
                        && self.acks.push_back(a).is_err()
                    {
                        return None;
                    }
                    self.rx_stream = RxStream::None;
                    if deliver {
                        return Some(Event::PublishEnd);
                    }
                    continue;
                }
            }
            let version = self.version();
            let max = self.config.max_packet_size;
            let buf = self.rx.get(..self.rx_len).unwrap_or_default();
            let header = match decode_fixed_header(buf, version, max) {
                Ok(Some(h)) => h,
                Ok(None) => return None,
                Err(e) => return Some(self.fail_malformed(e)),
            };
            let total = header.total_len();
            let is_publish = header.packet_type == PacketType::Publish;
            if (is_publish || header.packet_type == PacketType::PubRel) && self.acks.is_full() {
                return None;
            }
            if total > self.rx.len() {
                if !is_publish {
                    return Some(
                        self.fail(LostReason::RxBufferTooSmall, ReasonCode::PACKET_TOO_LARGE),
                    );
                }
                return self.start_rx_stream();
            }
            if total > buf.len() {
                return None;
            }
            let summary = match decode(buf, version, max) {
                Ok(Some((p, _))) => summarize(&p, &mut self.aliases),
                Ok(None) => return None,
                Err(e) => return Some(self.fail_malformed(e)),
            };
            self.rx_discard = total;
            match self.process(summary) {
                Outcome::Nothing => continue,
                Outcome::Event(q) => return Some(q.event()),
                Outcome::Lost(r) => return Some(Event::ConnectionLost(r)),
                Outcome::Reparse => {
                    let rx: &[u8] = self.rx;
                    let aliases = &self.aliases;
                    return match decode(rx.get(..total).unwrap_or_default(), version, max) {
                        Ok(Some((Packet::Publish(p), _))) => {
                            Some(Event::Publish(message(&p, aliases)))
                        }
                        Ok(Some((Packet::SubAck(s), _))) => Some(Event::Subscribed {
                            packet_id: s.packet_id,
                            codes: s.codes,
                        }),
                        _ => None,
                    };
                }
            }
        }
    }

    /// A PUBLISH larger than the receive buffer: parse its head and stream the
    /// payload.
    fn start_rx_stream(&mut self) -> Option<Event<'_>> {
        let version = self.version();
        let max = self.config.max_packet_size;
        let buf = self.rx.get(..self.rx_len).unwrap_or_default();
        let head = match decode_publish_head(buf, version, max) {
            Ok(Some(h)) => h,
            Ok(None) if self.rx_len >= self.rx.len() => {
                return Some(self.fail(LostReason::RxBufferTooSmall, ReasonCode::PACKET_TOO_LARGE));
            }
            Ok(None) => return None,
            Err(e) => return Some(self.fail_malformed(e)),
        };
        let summary = summarize(&Packet::Publish(head.publish), &mut self.aliases);
        let (head_len, payload_len) = (head.head_len, head.payload_len);
        let (deliver, ack) = match self.accept_publish(summary) {
            Ok(x) => x,
            Err(lost) => return Some(Event::ConnectionLost(lost)),
        };
        self.rx_discard = head_len;
        self.rx_stream = RxStream::Payload {
            remaining: payload_len,
            deliver,
            ack,
        };
        if !deliver {
            return self.poll_event();
        }
        let rx: &[u8] = self.rx;
        let aliases = &self.aliases;
        match decode_publish_head(rx.get(..head_len).unwrap_or_default(), version, max) {
            Ok(Some(h)) => Some(Event::PublishStart {
                message: message(&h.publish, aliases),
                len: payload_len,
            }),
            _ => None,
        }
    }

    /// Decides delivery and the answer for an inbound PUBLISH (QoS 2 dedupe).
    fn accept_publish(&mut self, s: Summary) -> Result<(bool, Option<Control>), LostReason> {
        let (qos, id, mut error) = match s {
            Summary::Publish {
                qos,
                id,
                alias_error,
            } if self.state == State::Connected => (qos, id, alias_error),
            _ => (QoS::AtMostOnce, 0, Some(ReasonCode::PROTOCOL_ERROR)),
        };
        let mut deliver = true;
        let mut ack = None;
        if error.is_none() {
            match qos {
                QoS::AtMostOnce => {}
                QoS::AtLeastOnce => ack = Some(Control::PubAck(id)),
                QoS::ExactlyOnce => {
                    ack = Some(Control::PubRec(id));
                    if self.inbound_qos2.contains(&id) {
                        // Already delivered, PUBREL not yet seen: answer, don't deliver.
                        deliver = false;
                    } else if self.inbound_qos2.push(id).is_err() {
                        error = Some(ReasonCode::RECEIVE_MAXIMUM_EXCEEDED);
                    }
                }
            }
        }
        match error {
            Some(code) => Err(self.lose(LostReason::ProtocolViolation(code))),
            None => Ok((deliver, ack)),
        }
    }

    fn lose(&mut self, r: LostReason) -> LostReason {
        let code = match r {
            LostReason::ProtocolViolation(c) => c,
            _ => ReasonCode::UNSPECIFIED_ERROR,
        };
        self.close(Some(code));
        r
    }

    fn find_publish(&self, id: u16, want: QoS) -> Option<usize> {
        self.outbox.position(|m| {
            matches!(m.kind, OutKind::Publish { qos, id: i, .. } if qos == want && i == id)
                && matches!(
                    m.state,
                    OutState::ExpectAck | OutState::ExpectPubComp { .. }
                )
        })
    }

    fn process(&mut self, s: Summary) -> Outcome {
        let violation = |c: &mut Self| {
            Outcome::Lost(c.lose(LostReason::ProtocolViolation(ReasonCode::PROTOCOL_ERROR)))
        };
        match s {
            Summary::ConnAck {
                session_present,
                code,
                limits,
                server_keep_alive,
            } => {
                if self.state != State::ExpectConnAck
                    || matches!(self.cursor, Some(Cursor::Connect { .. }))
                    || self.connect_pending
                {
                    return violation(self);
                }
                self.timers.clear(T_CONNECT);
                if code != ReasonCode::SUCCESS {
                    self.close(None);
                    return Outcome::Event(Queued::ConnectFailed(ConnectError::from_code(
                        self.version(),
                        code,
                    )));
                }
                self.state = State::Connected;
                self.limits = limits;
                if let Some(k) = server_keep_alive {
                    self.keep_alive = Duration::from_secs(u64::from(k));
                }
                self.outbox.clear_front();
                self.resume_session(session_present);
                self.rearm_keepalive();
                Outcome::Event(Queued::Connected { session_present })
            }
            Summary::Publish { .. } => match self.accept_publish(s) {
                Ok((deliver, ack)) => {
                    if let Some(a) = ack {
                        // Room was checked before decoding.
                        let _ = self.acks.push_back(a);
                    }
                    if deliver {
                        Outcome::Reparse
                    } else {
                        Outcome::Nothing
                    }
                }
                Err(r) => Outcome::Lost(r),
            },
            Summary::PubResponse {
                id,
                reason,
                qos,
                rec,
            } => match self.find_publish(id, qos) {
                Some(i) if rec && !reason.is_error() => {
                    if let Some(m) = self.outbox.meta_mut(i) {
                        m.state = OutState::ExpectPubComp { rel_sent: false };
                    }
                    Outcome::Nothing
                }
                Some(i) => {
                    self.outbox.remove(i);
                    Outcome::Event(Queued::Delivered {
                        packet_id: id,
                        reason,
                    })
                }
                None => Outcome::Nothing,
            },
            Summary::PubRel(id) => {
                if let Some(i) = self.inbound_qos2.iter().position(|x| *x == id) {
                    self.inbound_qos2.swap_remove(i);
                }
                let _ = self.acks.push_back(Control::PubComp(id));
                Outcome::Nothing
            }
            Summary::SubAck(kind) => {
                match self
                    .outbox
                    .position(|m| m.kind == kind && m.state == OutState::ExpectAck)
                {
                    Some(i) => {
                        self.outbox.remove(i);
                        match kind {
                            OutKind::Unsubscribe { id } => {
                                Outcome::Event(Queued::Unsubscribed { packet_id: id })
                            }
                            _ => Outcome::Reparse,
                        }
                    }
                    None => Outcome::Nothing,
                }
            }
            Summary::PingResp => Outcome::Nothing,
            Summary::Disconnect(reason) => {
                self.close(None);
                Outcome::Lost(LostReason::ServerDisconnect(reason))
            }
            Summary::Unexpected => violation(self),
        }
    }

    /// After CONNACK: decide how unacknowledged messages continue.
    fn resume_session(&mut self, session_present: bool) {
        if !session_present {
            self.inbound_qos2.clear();
        }
        let mut i = 0;
        // Each iteration removes an entry or advances: bounded.
        while let Some(slot) = self.outbox.slot(i) {
            match slot.meta.state {
                OutState::ExpectReconnect => {
                    if let Some(b) = self.outbox.bytes_mut(i).first_mut() {
                        if session_present {
                            *b |= 0x08;
                        } else {
                            *b &= !0x08;
                        }
                    }
                    if let Some(m) = self.outbox.meta_mut(i) {
                        m.state = OutState::Queued;
                    }
                }
                OutState::ExpectPubComp { .. } if !session_present => {
                    // The broker had PUBREC'd it: it was delivered once.
                    self.outbox.remove(i);
                    self.queue(Queued::Delivered {
                        packet_id: slot.meta.id(),
                        reason: ReasonCode::SUCCESS,
                    });
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

fn summarize<const A: usize>(p: &Packet<'_>, aliases: &mut Arena<'_, u16, A>) -> Summary {
    match p {
        Packet::ConnAck(c) => {
            let (limits, server_keep_alive) = limits_from(&c.properties);
            Summary::ConnAck {
                session_present: c.session_present,
                code: c.code,
                limits,
                server_keep_alive,
            }
        }
        Packet::Publish(p) => Summary::Publish {
            qos: p.qos,
            id: p.packet_id.unwrap_or(0),
            alias_error: handle_alias(aliases, p),
        },
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubComp(r) => Summary::PubResponse {
            id: r.packet_id,
            reason: r.reason,
            qos: match p {
                Packet::PubAck(_) => QoS::AtLeastOnce,
                _ => QoS::ExactlyOnce,
            },
            rec: matches!(p, Packet::PubRec(_)),
        },
        Packet::PubRel(r) => Summary::PubRel(r.packet_id),
        Packet::SubAck(s) => Summary::SubAck(OutKind::Subscribe { id: s.packet_id }),
        Packet::UnsubAck(u) => Summary::SubAck(OutKind::Unsubscribe { id: u.packet_id }),
        Packet::PingResp => Summary::PingResp,
        Packet::Disconnect(d) => Summary::Disconnect(d.reason),
        _ => Summary::Unexpected,
    }
}
