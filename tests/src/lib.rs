//! Helpers for Petrel interop tests: peers are started here.
