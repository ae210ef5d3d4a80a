//! Wire-format tests. The byte sequences are built by hand from the packet
//! diagrams and examples in RFC 1350 §5, RFC 2347 (OACK), RFC 2348 (blksize
//! 1428 example), RFC 2349 (tsize 673312 example) and RFC 7440 (windowsize).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use petrel_tftp::wire::{OptionIter, Packet, RequestKind};
use petrel_tftp::{ErrorCode, Mode, Options, Repr, WireError};

fn round_trip(bytes: &[u8]) -> Repr<'_> {
    let r = Repr::parse_bytes(bytes).unwrap();
    let mut buf = [0u8; 600];
    assert_eq!(r.buffer_len(), bytes.len());
    let n = r.emit(&mut buf).unwrap();
    assert_eq!(&buf[..n], bytes);
    r
}

#[test]
fn rfc1350_packets() {
    let rrq = b"\x00\x01foobar\x00octet\x00";
    assert_eq!(
        round_trip(rrq),
        Repr::Request {
            kind: RequestKind::Read,
            filename: b"foobar",
            mode: Mode::Octet,
            options: Options::NONE
        }
    );
    let wrq = b"\x00\x02dir/file.txt\x00netascii\x00";
    assert!(matches!(
        round_trip(wrq),
        Repr::Request {
            kind: RequestKind::Write,
            mode: Mode::NetAscii,
            ..
        }
    ));
    // Mode is case-insensitive (RFC 1350 §5); emitting lower-cases it.
    let r = Repr::parse_bytes(b"\x00\x01x\x00NetAscii\x00").unwrap();
    assert!(matches!(
        r,
        Repr::Request {
            mode: Mode::NetAscii,
            ..
        }
    ));
    assert_eq!(
        round_trip(b"\x00\x03\x00\x01hello"),
        Repr::Data {
            block: 1,
            data: b"hello"
        }
    );
    assert_eq!(
        round_trip(b"\x00\x03\xff\xff"),
        Repr::Data {
            block: 65535,
            data: b""
        }
    );
    assert_eq!(round_trip(b"\x00\x04\x00\x00"), Repr::Ack { block: 0 });
    assert_eq!(
        round_trip(b"\x00\x05\x00\x01File not found\x00"),
        Repr::Error {
            code: ErrorCode::FileNotFound,
            message: b"File not found"
        }
    );
    // A missing NUL on an error message is tolerated.
    assert_eq!(
        Repr::parse_bytes(b"\x00\x05\x00\x09oops").unwrap(),
        Repr::Error {
            code: ErrorCode::Unknown(9),
            message: b"oops"
        }
    );
    let view = Packet::new_checked(&b"\x00\x04\x12\x34"[..]).unwrap();
    assert_eq!(view.block(), 0x1234);
    for c in 0..=9u16 {
        assert_eq!(u16::from(ErrorCode::from(c)), c);
    }
}

#[test]
fn rfc2347_to_7440_options() {
    // RFC 2348 §4 example: RRQ with blksize 1428, OACK blksize 1428.
    let rrq = b"\x00\x01foobar\x00octet\x00blksize\x001428\x00";
    let Repr::Request { options, .. } = round_trip(rrq) else {
        panic!()
    };
    assert_eq!(options.blksize, Some(1428));
    assert_eq!(
        round_trip(b"\x00\x06blksize\x001428\x00"),
        Repr::Oack { options }
    );
    // RFC 2349 §4 examples: tsize 0 in the RRQ, 673312 in the OACK.
    let Repr::Request { options, .. } = round_trip(b"\x00\x01foobar\x00octet\x00tsize\x000\x00")
    else {
        panic!()
    };
    assert_eq!(options.tsize, Some(0));
    let Repr::Oack { options } = round_trip(b"\x00\x06tsize\x00673312\x00") else {
        panic!()
    };
    assert_eq!(options.tsize, Some(673312));
    // All four, as curl/atftp send them; names are case-insensitive.
    let all = b"\x00\x01f\x00octet\x00TSIZE\x000\x00BlkSize\x00512\x00timeout\x006\x00windowsize\x0016\x00";
    let Repr::Request { options, .. } = Repr::parse_bytes(all).unwrap() else {
        panic!()
    };
    assert_eq!(
        options,
        Options {
            blksize: Some(512),
            tsize: Some(0),
            timeout: Some(6),
            windowsize: Some(16)
        }
    );
    // Unknown options are ignored, absurd values declined.
    let odd = b"\x00\x01f\x00octet\x00multicast\x00\x00blksize\x004\x00timeout\x00300\x00windowsize\x000\x00tsize\x00-1\x00";
    let Repr::Request { options, .. } = Repr::parse_bytes(odd).unwrap() else {
        panic!()
    };
    assert!(options.is_empty());
    let big = b"\x00\x01f\x00octet\x00blksize\x0065465\x00tsize\x00999999999999999999999\x00";
    let Repr::Request { options, .. } = Repr::parse_bytes(big).unwrap() else {
        panic!()
    };
    assert!(options.is_empty());
    // An OACK with an unknown or bad option is refused (error 8).
    assert_eq!(
        Repr::parse_bytes(b"\x00\x06foo\x001\x00"),
        Err(WireError::BadOption)
    );
    assert_eq!(
        Repr::parse_bytes(b"\x00\x06blksize\x007\x00"),
        Err(WireError::BadOption)
    );
    assert_eq!(WireError::BadOption.reply_code(), ErrorCode::OptionRefused);
    // Trailing NUL padding is fine.
    assert_eq!(OptionIter::new(b"blksize\x00512\x00\x00\x00").count(), 1);
}

#[test]
fn malformed() {
    assert_eq!(Repr::parse_bytes(b""), Err(WireError::Truncated));
    assert_eq!(Repr::parse_bytes(b"\x00"), Err(WireError::Truncated));
    assert_eq!(
        Repr::parse_bytes(b"\x00\x03\x00"),
        Err(WireError::Truncated)
    );
    assert_eq!(Repr::parse_bytes(b"\x00\x04"), Err(WireError::Truncated));
    assert_eq!(
        Repr::parse_bytes(b"\x00\x09\x00\x00"),
        Err(WireError::UnknownOpcode(9))
    );
    assert_eq!(
        Repr::parse_bytes(b"\x00\x01foo"),
        Err(WireError::Unterminated)
    );
    assert_eq!(
        Repr::parse_bytes(b"\x00\x01foo\x00octet"),
        Err(WireError::Unterminated)
    );
    assert_eq!(
        Repr::parse_bytes(b"\x00\x01\x00octet\x00"),
        Err(WireError::EmptyFilename)
    );
    assert_eq!(
        Repr::parse_bytes(b"\x00\x01f\x00mail\x00"),
        Err(WireError::UnsupportedMode)
    );
    assert_eq!(
        Repr::parse_bytes(b"\x00\x06blksize\x00"),
        Err(WireError::Unterminated)
    );
    // An unterminated trailing option in a request only loses that option.
    let Repr::Request { options, .. } =
        Repr::parse_bytes(b"\x00\x01f\x00octet\x00blksize\x00100\x00tsize").unwrap()
    else {
        panic!()
    };
    assert_eq!(options.blksize, Some(100));
    let mut small = [0u8; 5];
    assert_eq!(
        Repr::Data {
            block: 1,
            data: b"xx"
        }
        .emit(&mut small),
        Err(WireError::BufferTooSmall)
    );
    let long = Options {
        tsize: Some(u64::MAX),
        ..Options::NONE
    };
    let mut buf = [0u8; 64];
    let n = Repr::Oack { options: long }.emit(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"\x00\x06tsize\x0018446744073709551615\x00");
}
