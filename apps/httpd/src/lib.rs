//! Petrel's HTTP/1.1 server (work in progress: the static-file table types).
//!
//! - [`fs`]: the compile-time file table a webroot build step emits
//!   ([`fs::StaticFs`], [`fs::StaticFile`], [`fs::SsiTag`]).
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]

pub mod fs;
