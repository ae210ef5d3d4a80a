//! PDUs (RFC 3416 section 3, RFC 1157 section 4) and their error statuses.

use core::fmt;

use crate::ber::{self, BerError, Reader, Tlv, Writer, tag, tlv_len};
use crate::message::MessageError;
use crate::oid::Oid;
use crate::value::{Value, VarBind};

/// PDU types, by their context-specific constructed tag.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum PduType {
    /// GetRequest-PDU (0xa0).
    GetRequest,
    /// GetNextRequest-PDU (0xa1).
    GetNextRequest,
    /// Response-PDU (0xa2; GetResponse in v1).
    Response,
    /// SetRequest-PDU (0xa3).
    SetRequest,
    /// The SNMPv1 Trap-PDU (0xa4).
    TrapV1,
    /// GetBulkRequest-PDU (0xa5).
    GetBulkRequest,
    /// InformRequest-PDU (0xa6).
    InformRequest,
    /// SNMPv2-Trap-PDU (0xa7).
    TrapV2,
    /// Report-PDU (0xa8).
    Report,
}

impl PduType {
    /// The PDU type for a tag, or `None` for an unknown tag.
    pub fn from_tag(t: u8) -> Option<PduType> {
        Some(match t {
            0xa0 => PduType::GetRequest,
            0xa1 => PduType::GetNextRequest,
            0xa2 => PduType::Response,
            0xa3 => PduType::SetRequest,
            0xa4 => PduType::TrapV1,
            0xa5 => PduType::GetBulkRequest,
            0xa6 => PduType::InformRequest,
            0xa7 => PduType::TrapV2,
            0xa8 => PduType::Report,
            _ => return None,
        })
    }

    /// The tag octet.
    pub fn tag(self) -> u8 {
        match self {
            PduType::GetRequest => 0xa0,
            PduType::GetNextRequest => 0xa1,
            PduType::Response => 0xa2,
            PduType::SetRequest => 0xa3,
            PduType::TrapV1 => 0xa4,
            PduType::GetBulkRequest => 0xa5,
            PduType::InformRequest => 0xa6,
            PduType::TrapV2 => 0xa7,
            PduType::Report => 0xa8,
        }
    }
}

/// The error-status of a Response-PDU (RFC 3416; 0–5 are also SNMPv1's).
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorStatus {
    /// 0.
    NoError,
    /// 1: the response would not fit.
    TooBig,
    /// 2 (v1 only).
    NoSuchName,
    /// 3 (v1 only).
    BadValue,
    /// 4 (v1 only).
    ReadOnly,
    /// 5.
    GenErr,
    /// 6: the object is not accessible in this context.
    NoAccess,
    /// 7: the value has the wrong ASN.1 type.
    WrongType,
    /// 8: the value has the wrong length.
    WrongLength,
    /// 9: the value's encoding is wrong.
    WrongEncoding,
    /// 10: the value can never be assigned.
    WrongValue,
    /// 11: the instance does not exist and cannot be created.
    NoCreation,
    /// 12: the value is inconsistent with other state.
    InconsistentValue,
    /// 13: a needed resource is not available.
    ResourceUnavailable,
    /// 14: a commit failed and every change was undone.
    CommitFailed,
    /// 15: a commit failed and not every change could be undone.
    UndoFailed,
    /// 16: access denied by the access-control model.
    AuthorizationError,
    /// 17: the object is not writable.
    NotWritable,
    /// 18: the instance name is inconsistent with other state.
    InconsistentName,
    /// Any other code.
    Unknown(i32),
}

impl ErrorStatus {
    /// The wire code.
    pub fn code(self) -> i32 {
        match self {
            ErrorStatus::NoError => 0,
            ErrorStatus::TooBig => 1,
            ErrorStatus::NoSuchName => 2,
            ErrorStatus::BadValue => 3,
            ErrorStatus::ReadOnly => 4,
            ErrorStatus::GenErr => 5,
            ErrorStatus::NoAccess => 6,
            ErrorStatus::WrongType => 7,
            ErrorStatus::WrongLength => 8,
            ErrorStatus::WrongEncoding => 9,
            ErrorStatus::WrongValue => 10,
            ErrorStatus::NoCreation => 11,
            ErrorStatus::InconsistentValue => 12,
            ErrorStatus::ResourceUnavailable => 13,
            ErrorStatus::CommitFailed => 14,
            ErrorStatus::UndoFailed => 15,
            ErrorStatus::AuthorizationError => 16,
            ErrorStatus::NotWritable => 17,
            ErrorStatus::InconsistentName => 18,
            ErrorStatus::Unknown(c) => c,
        }
    }

    /// The status for a wire code.
    pub fn from_code(c: i32) -> ErrorStatus {
        match c {
            0 => ErrorStatus::NoError,
            1 => ErrorStatus::TooBig,
            2 => ErrorStatus::NoSuchName,
            3 => ErrorStatus::BadValue,
            4 => ErrorStatus::ReadOnly,
            5 => ErrorStatus::GenErr,
            6 => ErrorStatus::NoAccess,
            7 => ErrorStatus::WrongType,
            8 => ErrorStatus::WrongLength,
            9 => ErrorStatus::WrongEncoding,
            10 => ErrorStatus::WrongValue,
            11 => ErrorStatus::NoCreation,
            12 => ErrorStatus::InconsistentValue,
            13 => ErrorStatus::ResourceUnavailable,
            14 => ErrorStatus::CommitFailed,
            15 => ErrorStatus::UndoFailed,
            16 => ErrorStatus::AuthorizationError,
            17 => ErrorStatus::NotWritable,
            18 => ErrorStatus::InconsistentName,
            c => ErrorStatus::Unknown(c),
        }
    }

    /// The SNMPv1 status for a v2 status (RFC 3584 section 4.4).
    pub fn to_v1(self) -> ErrorStatus {
        match self {
            ErrorStatus::NoError
            | ErrorStatus::TooBig
            | ErrorStatus::NoSuchName
            | ErrorStatus::BadValue
            | ErrorStatus::ReadOnly
            | ErrorStatus::GenErr => self,
            ErrorStatus::WrongValue
            | ErrorStatus::WrongEncoding
            | ErrorStatus::WrongType
            | ErrorStatus::WrongLength
            | ErrorStatus::InconsistentValue => ErrorStatus::BadValue,
            ErrorStatus::NoAccess
            | ErrorStatus::NotWritable
            | ErrorStatus::NoCreation
            | ErrorStatus::InconsistentName
            | ErrorStatus::AuthorizationError => ErrorStatus::NoSuchName,
            ErrorStatus::ResourceUnavailable
            | ErrorStatus::CommitFailed
            | ErrorStatus::UndoFailed
            | ErrorStatus::Unknown(_) => ErrorStatus::GenErr,
        }
    }
}

impl fmt::Display for ErrorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ErrorStatus::NoError => "noError",
            ErrorStatus::TooBig => "tooBig",
            ErrorStatus::NoSuchName => "noSuchName",
            ErrorStatus::BadValue => "badValue",
            ErrorStatus::ReadOnly => "readOnly",
            ErrorStatus::GenErr => "genErr",
            ErrorStatus::NoAccess => "noAccess",
            ErrorStatus::WrongType => "wrongType",
            ErrorStatus::WrongLength => "wrongLength",
            ErrorStatus::WrongEncoding => "wrongEncoding",
            ErrorStatus::WrongValue => "wrongValue",
            ErrorStatus::NoCreation => "noCreation",
            ErrorStatus::InconsistentValue => "inconsistentValue",
            ErrorStatus::ResourceUnavailable => "resourceUnavailable",
            ErrorStatus::CommitFailed => "commitFailed",
            ErrorStatus::UndoFailed => "undoFailed",
            ErrorStatus::AuthorizationError => "authorizationError",
            ErrorStatus::NotWritable => "notWritable",
            ErrorStatus::InconsistentName => "inconsistentName",
            ErrorStatus::Unknown(c) => return write!(f, "error-status {c}"),
        };
        f.write_str(s)
    }
}

/// A varbind list borrowed from a message; iterate it with
/// [`VarBindList::iter`]. [`AnyPdu::decode`] has already checked that every
/// element decodes, so iteration yields no errors for a decoded PDU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct VarBindList<'a> {
    tlv: Tlv<'a>,
    count: usize,
}

impl<'a> VarBindList<'a> {
    fn parse(tlv: Tlv<'a>, max: usize) -> Result<Self, MessageError> {
        let mut list = VarBindList { tlv, count: 0 };
        let mut n = 0;
        for vb in list.iter() {
            vb?;
            n += 1;
            if n > max {
                return Err(MessageError::TooManyVarBinds);
            }
        }
        list.count = n;
        Ok(list)
    }

    /// Number of varbinds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded content of the list (the varbind SEQUENCEs).
    pub fn raw(&self) -> &'a [u8] {
        self.tlv.value
    }

    /// Iterates over the varbinds.
    pub fn iter(&self) -> VarBindIter<'a> {
        VarBindIter {
            r: Reader::new(self.tlv.value),
            failed: false,
        }
    }
}

/// Iterator over a [`VarBindList`].
#[derive(Clone, Debug)]
pub struct VarBindIter<'a> {
    r: Reader<'a>,
    failed: bool,
}

impl<'a> Iterator for VarBindIter<'a> {
    type Item = Result<VarBind<'a>, BerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        let res = (|| {
            let mut vb = self.r.sequence()?;
            let name = vb.oid()?;
            let value = Value::decode(&vb.read_tlv()?)?;
            vb.finish()?;
            Ok(VarBind { name, value })
        })();
        // Each call consumes at least two octets or fails and stops, so the
        // iteration is bounded by the list's length.
        self.failed = res.is_err();
        Some(res)
    }
}

/// A request, response, SNMPv2 trap, inform or report PDU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// The PDU type (never [`PduType::TrapV1`]).
    pub pdu_type: PduType,
    /// request-id.
    pub request_id: i32,
    /// error-status, or non-repeaters for GetBulkRequest.
    pub error_status: i32,
    /// error-index, or max-repetitions for GetBulkRequest.
    pub error_index: i32,
    /// The variable bindings.
    pub varbinds: VarBindList<'a>,
}

/// The SNMPv1 Trap-PDU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TrapV1Pdu<'a> {
    /// enterprise.
    pub enterprise: Oid,
    /// agent-addr.
    pub agent_addr: [u8; 4],
    /// generic-trap.
    pub generic_trap: i32,
    /// specific-trap.
    pub specific_trap: i32,
    /// time-stamp (TimeTicks).
    pub time_stamp: u32,
    /// The variable bindings.
    pub varbinds: VarBindList<'a>,
}

/// Any decoded PDU.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
// Deliberately inline (no heap): an `Oid` is 516 octets.
#[allow(clippy::large_enum_variant)]
pub enum AnyPdu<'a> {
    /// Every PDU but the v1 trap.
    Pdu(Pdu<'a>),
    /// The SNMPv1 Trap-PDU.
    TrapV1(TrapV1Pdu<'a>),
}

impl<'a> AnyPdu<'a> {
    /// Decodes the next element of `r` as a PDU with at most
    /// `max_varbinds` varbinds.
    pub fn decode(r: &mut Reader<'a>, max_varbinds: usize) -> Result<AnyPdu<'a>, MessageError> {
        let tlv = r.read_tlv()?;
        let pdu_type = PduType::from_tag(tlv.tag).ok_or(MessageError::UnknownPdu(tlv.tag))?;
        let mut p = r.nested(&tlv)?;
        if pdu_type == PduType::TrapV1 {
            let enterprise = p.oid()?;
            let addr = p.expect(tag::IP_ADDRESS)?;
            let agent_addr = <[u8; 4]>::try_from(addr.value).map_err(|_| BerError::BadIpAddress)?;
            let generic_trap = p.integer()?;
            let specific_trap = p.integer()?;
            let ts = p.expect(tag::TIMETICKS)?;
            let time_stamp = u32::try_from(ber::reader_decode_unsigned(ts.value, 32)?)
                .map_err(|_| BerError::BadInteger)?;
            let varbinds = VarBindList::parse(p.expect(tag::SEQUENCE)?, max_varbinds)?;
            p.finish()?;
            return Ok(AnyPdu::TrapV1(TrapV1Pdu {
                enterprise,
                agent_addr,
                generic_trap,
                specific_trap,
                time_stamp,
                varbinds,
            }));
        }
        let request_id = p.integer()?;
        let error_status = p.integer()?;
        let error_index = p.integer()?;
        let varbinds = VarBindList::parse(p.expect(tag::SEQUENCE)?, max_varbinds)?;
        p.finish()?;
        Ok(AnyPdu::Pdu(Pdu {
            pdu_type,
            request_id,
            error_status,
            error_index,
            varbinds,
        }))
    }
}

/// The fields in front of a PDU's varbind list, for encoding.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
// Deliberately inline (no heap): an `Oid` is 516 octets.
#[allow(clippy::large_enum_variant)]
pub enum PduHeader {
    /// Every PDU but the v1 trap.
    Standard {
        /// PDU type.
        pdu_type: PduType,
        /// request-id.
        request_id: i32,
        /// error-status (or non-repeaters).
        error_status: i32,
        /// error-index (or max-repetitions).
        error_index: i32,
    },
    /// The SNMPv1 Trap-PDU.
    TrapV1 {
        /// enterprise.
        enterprise: Oid,
        /// agent-addr.
        agent_addr: [u8; 4],
        /// generic-trap.
        generic_trap: i32,
        /// specific-trap.
        specific_trap: i32,
        /// time-stamp.
        time_stamp: u32,
    },
}

impl PduHeader {
    fn fields_len(&self) -> usize {
        match self {
            PduHeader::Standard {
                request_id,
                error_status,
                error_index,
                ..
            } => {
                tlv_len(ber::integer_len(i64::from(*request_id)))
                    + tlv_len(ber::integer_len(i64::from(*error_status)))
                    + tlv_len(ber::integer_len(i64::from(*error_index)))
            }
            PduHeader::TrapV1 {
                enterprise,
                generic_trap,
                specific_trap,
                time_stamp,
                ..
            } => {
                tlv_len(ber::oid_len(enterprise))
                    + tlv_len(4)
                    + tlv_len(ber::integer_len(i64::from(*generic_trap)))
                    + tlv_len(ber::integer_len(i64::from(*specific_trap)))
                    + tlv_len(ber::unsigned_len(u64::from(*time_stamp)))
            }
        }
    }

    /// Size of the whole PDU TLV for a varbind list of `vbs_len` content octets.
    pub fn pdu_len(&self, vbs_len: usize) -> usize {
        tlv_len(self.fields_len() + tlv_len(vbs_len))
    }

    /// Size of everything in front of the varbind content.
    pub fn prefix_len(&self, vbs_len: usize) -> usize {
        self.pdu_len(vbs_len) - vbs_len
    }

    /// Writes the PDU tag and fields and the varbind-list header.
    pub fn write(&self, w: &mut Writer<'_>, vbs_len: usize) -> Result<(), BerError> {
        let content = self.fields_len() + tlv_len(vbs_len);
        match self {
            PduHeader::Standard {
                pdu_type,
                request_id,
                error_status,
                error_index,
            } => {
                w.header(pdu_type.tag(), content)?;
                w.signed(tag::INTEGER, i64::from(*request_id))?;
                w.signed(tag::INTEGER, i64::from(*error_status))?;
                w.signed(tag::INTEGER, i64::from(*error_index))?;
            }
            PduHeader::TrapV1 {
                enterprise,
                agent_addr,
                generic_trap,
                specific_trap,
                time_stamp,
            } => {
                w.header(PduType::TrapV1.tag(), content)?;
                w.oid(tag::OID, enterprise)?;
                w.tlv(tag::IP_ADDRESS, agent_addr)?;
                w.signed(tag::INTEGER, i64::from(*generic_trap))?;
                w.signed(tag::INTEGER, i64::from(*specific_trap))?;
                w.unsigned(tag::TIMETICKS, u64::from(*time_stamp))?;
            }
        }
        w.header(tag::SEQUENCE, vbs_len)
    }
}
