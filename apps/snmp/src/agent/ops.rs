//! Get, GetNext, GetBulk and Set processing (RFC 3416 section 4.2, with the
//! SNMPv1 rules of RFC 1157 and RFC 3584 section 4).

use crate::ber::{BerError, Reader, Writer};
use crate::message::Version;
use crate::oid::Oid;
use crate::pdu::{ErrorStatus, Pdu, PduHeader, PduType};
use crate::stats::{SnmpStats, inc};
use crate::value::{Value, ValueType, VarBind};

use super::frame::{Frame, Wrapper};
use super::mib::{MIB_SCRATCH_LEN, Mib, SetOutcome};
use super::view::{Resume, View};

/// Who is asking: the version and the views of the community or user.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Ctx<'v> {
    pub version: Version,
    pub read: View<'v>,
    /// `None` when the community or user may not write at all.
    pub write: Option<View<'v>>,
    pub max_repetitions: u32,
    pub max_walk_steps: usize,
}

/// Why processing stopped before a normal response.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Fail {
    /// An error response echoing the request's varbinds.
    Error { status: ErrorStatus, index: usize },
    /// The response would exceed the size limit.
    TooBig,
}

/// Why no response could be sent at all.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum NoReply {
    /// Even the tooBig response does not fit.
    TooBig,
    /// Not a request PDU (or GetBulk in SNMPv1).
    NotARequest,
}

/// Appends varbinds after the headroom of a response buffer, checking the
/// message size limit before each one.
struct VbOut<'b, 'f> {
    buf: &'b mut [u8],
    at: usize,
    pos: usize,
    frame: &'b Frame<'f>,
    limit: usize,
}

impl VbOut<'_, '_> {
    fn len(&self) -> usize {
        self.pos - self.at
    }

    fn append(&mut self, vb: &VarBind<'_>) -> Result<(), Fail> {
        let n = vb.encoded_len();
        let new_len = self.len() + n;
        // Eight spare octets: DES may pad the payload in place.
        if self.frame.total_len(new_len) > self.limit || self.pos + n + 8 > self.buf.len() {
            return Err(Fail::TooBig);
        }
        let mut w = Writer::at(self.buf, self.pos);
        vb.encode(&mut w).map_err(|_| Fail::TooBig)?;
        self.pos = w.pos();
        Ok(())
    }

    /// The name of the varbind encoded at `offset` and the offset after it.
    fn name_at(&self, offset: usize) -> Option<(Oid, usize)> {
        let bytes = self.buf.get(offset..self.pos)?;
        let mut r = Reader::new(bytes);
        let before = r.remaining().len();
        let mut vb = r.sequence().ok()?;
        let name = vb.oid().ok()?;
        let used = before - r.remaining().len();
        Some((name, offset + used))
    }
}

/// Runs a request PDU and writes the complete response message to the
/// start of `buf`; returns its length.
pub(crate) fn respond<M: Mib + ?Sized>(
    ctx: &Ctx<'_>,
    pdu: &Pdu<'_>,
    wrapper: Wrapper<'_>,
    buf: &mut [u8],
    limit: usize,
    mib: &mut M,
    stats: &mut SnmpStats,
) -> Result<usize, NoReply> {
    let limit = limit.min(buf.len());
    let ok = Frame {
        wrapper,
        header: PduHeader::Standard {
            pdu_type: PduType::Response,
            request_id: pdu.request_id,
            error_status: 0,
            error_index: 0,
        },
    };
    let at = ok.headroom(limit).min(buf.len());
    let mut out = VbOut {
        buf,
        at,
        pos: at,
        frame: &ok,
        limit,
    };
    let result = match pdu.pdu_type {
        PduType::GetRequest => {
            inc(&mut stats.in_get_requests);
            get(ctx, pdu, &mut out, mib)
        }
        PduType::GetNextRequest => {
            inc(&mut stats.in_get_nexts);
            get_next(ctx, pdu, &mut out, mib)
        }
        PduType::GetBulkRequest if ctx.version != Version::V1 => get_bulk(ctx, pdu, &mut out, mib),
        PduType::SetRequest => {
            inc(&mut stats.in_set_requests);
            set(ctx, pdu, &mut out, mib)
        }
        PduType::Response => {
            inc(&mut stats.in_get_responses);
            return Err(NoReply::NotARequest);
        }
        PduType::TrapV1 | PduType::TrapV2 => {
            inc(&mut stats.in_traps);
            return Err(NoReply::NotARequest);
        }
        _ => return Err(NoReply::NotARequest),
    };
    let vbs_len = out.len();
    let fail = match result {
        Ok(()) => {
            if pdu.pdu_type != PduType::SetRequest {
                stats.in_total_req_vars = stats
                    .in_total_req_vars
                    .wrapping_add(u32::try_from(pdu.varbinds.len()).unwrap_or(0));
            }
            inc(&mut stats.out_get_responses);
            return ok.finish(buf, at, vbs_len).map_err(|_| NoReply::TooBig);
        }
        Err(f) => f,
    };
    let (status, index) = match fail {
        Fail::Error { status, index } => {
            let status = if ctx.version == Version::V1 {
                status.to_v1()
            } else {
                status
            };
            (status, index)
        }
        Fail::TooBig => (ErrorStatus::TooBig, 0),
    };
    match status {
        ErrorStatus::TooBig => inc(&mut stats.out_too_bigs),
        ErrorStatus::NoSuchName => inc(&mut stats.out_no_such_names),
        ErrorStatus::BadValue => inc(&mut stats.out_bad_values),
        ErrorStatus::GenErr => inc(&mut stats.out_gen_errs),
        _ => {}
    }
    let echo = !(status == ErrorStatus::TooBig && ctx.version != Version::V1);
    if let Ok(n) = error_response(pdu, wrapper, buf, limit, status, index, echo) {
        inc(&mut stats.out_get_responses);
        return Ok(n);
    }
    if status != ErrorStatus::TooBig {
        // The echo did not fit: fall back to tooBig (empty list in v2).
        inc(&mut stats.out_too_bigs);
        let echo = ctx.version == Version::V1;
        if let Ok(n) = error_response(pdu, wrapper, buf, limit, ErrorStatus::TooBig, 0, echo) {
            inc(&mut stats.out_get_responses);
            return Ok(n);
        }
    }
    Err(NoReply::TooBig)
}

/// An error response whose varbinds are the request's (or empty).
fn error_response(
    pdu: &Pdu<'_>,
    wrapper: Wrapper<'_>,
    buf: &mut [u8],
    limit: usize,
    status: ErrorStatus,
    index: usize,
    echo: bool,
) -> Result<usize, BerError> {
    let frame = Frame {
        wrapper,
        header: PduHeader::Standard {
            pdu_type: PduType::Response,
            request_id: pdu.request_id,
            error_status: status.code(),
            error_index: i32::try_from(index).unwrap_or(0),
        },
    };
    let raw = if echo { pdu.varbinds.raw() } else { &[] };
    if frame.total_len(raw.len()) > limit {
        return Err(BerError::BufferTooSmall);
    }
    let at = frame.headroom(raw.len());
    buf.get_mut(at..at + raw.len())
        .ok_or(BerError::BufferTooSmall)?
        .copy_from_slice(raw);
    if at + raw.len() + 8 > buf.len() {
        return Err(BerError::BufferTooSmall);
    }
    frame.finish(buf, at, raw.len())
}

fn err(status: ErrorStatus, i: usize) -> Fail {
    Fail::Error {
        status,
        index: i + 1,
    }
}

fn get<M: Mib + ?Sized>(
    ctx: &Ctx<'_>,
    pdu: &Pdu<'_>,
    out: &mut VbOut<'_, '_>,
    mib: &mut M,
) -> Result<(), Fail> {
    for (i, vb) in pdu.varbinds.iter().enumerate() {
        let vb = vb.map_err(|_| err(ErrorStatus::GenErr, i))?;
        let mut scratch = [0u8; MIB_SCRATCH_LEN];
        let value = if ctx.read.contains(&vb.name) {
            mib.get(&vb.name, &mut scratch).map_err(|s| err(s, i))?
        } else {
            Value::NoSuchObject
        };
        if ctx.version == Version::V1
            && (value.is_exception() || value.value_type() == ValueType::Counter64)
        {
            return Err(err(ErrorStatus::NoSuchName, i));
        }
        out.append(&VarBind {
            name: vb.name,
            value,
        })?;
    }
    Ok(())
}

/// Finds the first in-view instance after `start` and appends it; returns
/// its name, or `None` (nothing appended) at the end of the view.
fn next_into<M: Mib + ?Sized>(
    ctx: &Ctx<'_>,
    start: &Oid,
    out: &mut VbOut<'_, '_>,
    mib: &M,
) -> Result<Option<Oid>, ErrorStatus> {
    let mut cursor = *start;
    // Each step passes an object or a view boundary; the bound stops a MIB
    // full of skipped objects (Counter64 in v1) from stalling the agent.
    let steps = ctx.max_walk_steps + ctx.read.boundaries();
    for _ in 0..steps {
        let mut scratch = [0u8; MIB_SCRATCH_LEN];
        let Some((oid, value)) = mib.get_next(&cursor, &mut scratch)? else {
            return Ok(None);
        };
        if oid <= cursor {
            // A MIB that does not advance would loop forever.
            return Err(ErrorStatus::GenErr);
        }
        if !ctx.read.contains(&oid) {
            match ctx.read.resume_after(&oid) {
                Resume::End => return Ok(None),
                Resume::After(p) => cursor = p.max(oid),
            }
            continue;
        }
        let skip = value.is_exception()
            || (ctx.version == Version::V1 && value.value_type() == ValueType::Counter64);
        if skip {
            cursor = oid;
            continue;
        }
        match out.append(&VarBind { name: oid, value }) {
            Ok(()) => return Ok(Some(oid)),
            Err(_) => return Err(ErrorStatus::TooBig),
        }
    }
    Err(ErrorStatus::GenErr)
}

fn next_or_end<M: Mib + ?Sized>(
    ctx: &Ctx<'_>,
    name: &Oid,
    i: usize,
    out: &mut VbOut<'_, '_>,
    mib: &M,
) -> Result<bool, Fail> {
    match next_into(ctx, name, out, mib) {
        Ok(Some(_)) => Ok(true),
        Ok(None) if ctx.version == Version::V1 => Err(err(ErrorStatus::NoSuchName, i)),
        Ok(None) => {
            out.append(&VarBind {
                name: *name,
                value: Value::EndOfMibView,
            })?;
            Ok(false)
        }
        Err(ErrorStatus::TooBig) => Err(Fail::TooBig),
        Err(s) => Err(err(s, i)),
    }
}

fn get_next<M: Mib + ?Sized>(
    ctx: &Ctx<'_>,
    pdu: &Pdu<'_>,
    out: &mut VbOut<'_, '_>,
    mib: &mut M,
) -> Result<(), Fail> {
    for (i, vb) in pdu.varbinds.iter().enumerate() {
        let vb = vb.map_err(|_| err(ErrorStatus::GenErr, i))?;
        next_or_end(ctx, &vb.name, i, out, mib)?;
    }
    Ok(())
}

fn get_bulk<M: Mib + ?Sized>(
    ctx: &Ctx<'_>,
    pdu: &Pdu<'_>,
    out: &mut VbOut<'_, '_>,
    mib: &mut M,
) -> Result<(), Fail> {
    let n = pdu.varbinds.len();
    let non_rep = usize::try_from(pdu.error_status.max(0)).unwrap_or(0).min(n);
    let mut max_rep = u32::try_from(pdu.error_index.max(0)).unwrap_or(0);
    if ctx.max_repetitions > 0 {
        max_rep = max_rep.min(ctx.max_repetitions);
    }
    let mut names = pdu.varbinds.iter();
    // Non-repeaters: one GetNext each.
    for i in 0..non_rep {
        let Some(Ok(vb)) = names.next() else {
            return Err(err(ErrorStatus::GenErr, i));
        };
        match next_or_end(ctx, &vb.name, i, out, mib) {
            Err(Fail::TooBig) if i > 0 => return Ok(()),
            r => {
                r?;
            }
        }
    }
    let reps = n - non_rep;
    if reps == 0 || max_rep == 0 {
        return Ok(());
    }
    // First row from the request's names, later rows from the names just
    // written (read back from the response, so no per-column storage).
    let mut row_start = out.pos;
    for (j, vb) in names.enumerate() {
        let Ok(vb) = vb else {
            return Err(err(ErrorStatus::GenErr, non_rep + j));
        };
        match next_or_end(ctx, &vb.name, non_rep + j, out, mib) {
            Err(Fail::TooBig) if out.len() > 0 => return Ok(()),
            r => {
                r?;
            }
        }
    }
    for _ in 1..max_rep {
        let mut read = row_start;
        row_start = out.pos;
        let mut all_end = true;
        for j in 0..reps {
            let Some((name, after)) = out.name_at(read) else {
                return Err(err(ErrorStatus::GenErr, non_rep + j));
            };
            read = after;
            match next_or_end(ctx, &name, non_rep + j, out, mib) {
                Ok(advanced) => all_end &= !advanced,
                // Drop the trailing varbinds that do not fit.
                Err(Fail::TooBig) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        if all_end {
            break;
        }
    }
    Ok(())
}

fn set<M: Mib + ?Sized>(
    ctx: &Ctx<'_>,
    pdu: &Pdu<'_>,
    out: &mut VbOut<'_, '_>,
    mib: &mut M,
) -> Result<(), Fail> {
    // The response echoes the request: make sure it fits before changing
    // anything.
    let raw = pdu.varbinds.raw();
    if out.frame.total_len(raw.len()) > out.limit || out.pos + raw.len() + 8 > out.buf.len() {
        return Err(Fail::TooBig);
    }
    for (i, vb) in pdu.varbinds.iter().enumerate() {
        let vb = vb.map_err(|_| err(ErrorStatus::GenErr, i))?;
        let writable = cfg!(feature = "set") && ctx.write.is_some_and(|w| w.contains(&vb.name));
        if !writable {
            // Outside the write view (or no write access at all): noAccess
            // (RFC 3416 4.2.5 step 1); v1 maps it to noSuchName.
            return Err(err(ErrorStatus::NoAccess, i));
        }
        if ctx.version == Version::V1 && vb.value.value_type() == ValueType::Counter64 {
            return Err(err(ErrorStatus::BadValue, i));
        }
    }
    if cfg!(feature = "set") {
        test_and_commit(pdu, mib)?;
    }
    mib.end_set(SetOutcome::Committed);
    let mut w = Writer::at(out.buf, out.pos);
    w.bytes(raw).map_err(|_| Fail::TooBig)?;
    out.pos = w.pos();
    Ok(())
}

/// SET's test and commit phases (RFC 3416 4.2.5), undoing the commits
/// made when one fails.
fn test_and_commit<M: Mib + ?Sized>(pdu: &Pdu<'_>, mib: &mut M) -> Result<(), Fail> {
    for (i, vb) in pdu.varbinds.iter().enumerate() {
        let vb = vb.map_err(|_| err(ErrorStatus::GenErr, i))?;
        if let Err(s) = mib.test_set(i, &vb) {
            mib.end_set(SetOutcome::TestFailed);
            return Err(err(s, i));
        }
    }
    let mut failed = None;
    for (i, vb) in pdu.varbinds.iter().enumerate() {
        let Ok(vb) = vb else {
            failed = Some(i);
            break;
        };
        if mib.commit_set(i, &vb).is_err() {
            failed = Some(i);
            break;
        }
    }
    if let Some(i) = failed {
        let mut undo_ok = true;
        for (j, vb) in pdu.varbinds.iter().enumerate().take(i).collect_rev() {
            let ok = vb.map(|vb| mib.undo_set(j, &vb).is_ok()).unwrap_or(false);
            undo_ok &= ok;
        }
        return if undo_ok {
            mib.end_set(SetOutcome::Undone);
            Err(err(ErrorStatus::CommitFailed, i))
        } else {
            mib.end_set(SetOutcome::UndoFailed);
            Err(Fail::Error {
                status: ErrorStatus::UndoFailed,
                index: 0,
            })
        };
    }
    Ok(())
}

/// Reverse iteration over at most `take(i)` items without allocating: the
/// varbind iterator is forward-only, so walk it once per step (bounded by
/// the varbind limit, squared — at most a few thousand decodes).
trait CollectRev: Iterator + Clone + Sized {
    fn collect_rev(self) -> RevIter<Self> {
        let n = self.clone().count();
        RevIter { it: self, left: n }
    }
}

impl<I: Iterator + Clone> CollectRev for I {}

struct RevIter<I> {
    it: I,
    left: usize,
}

impl<I: Iterator + Clone> Iterator for RevIter<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        self.left = self.left.checked_sub(1)?;
        self.it.clone().nth(self.left)
    }
}
