//! The Petrel device dashboard, packed at build time.
//!
//! `build.rs` runs [petrel-webroot-pack] over `webroot/www/` and this crate
//! includes the generated table: [`WEBROOT`] is a
//! [`petrel_httpd::fs::StaticFs`] sorted by path, with MIME types,
//! precomputed headers, ETags, gzip bodies (when smaller) and SSI tag
//! offsets. A changed, added or removed file under `www/` rebuilds it; a
//! missing `www/` is a build error.
//!
//! Feature `gzip-only` (off by default; the firmware turns it on to save
//! flash): a file whose gzip body is smaller is stored only gzipped
//! ([`StaticFile::gzip_only`](petrel_httpd::fs::StaticFile::gzip_only)), so
//! a client that refuses gzip gets `406` for it; the SSI page keeps its
//! identity body.
//!
//! ```
//! let index = petrel_webroot::WEBROOT.lookup("/index.shtml").unwrap();
//! assert!(index.is_ssi());
//! assert!(index.headers.starts_with("Content-Type: text/html"));
//! let css = petrel_webroot::WEBROOT.lookup("/app.css").unwrap();
//! assert!(css.gzip.is_some());
//! assert_eq!(css.gzip_only, cfg!(feature = "gzip-only"));
//! ```
//!
//! [petrel-webroot-pack]: ../petrel_webroot_pack/index.html
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/webroot.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use petrel_httpd::fs::StaticFile;
    use std::io::Read as _;

    #[test]
    fn table_is_sorted_and_every_file_is_found() {
        assert!(WEBROOT.is_sorted());
        assert!(WEBROOT.files().len() >= 5);
        for f in WEBROOT.files() {
            assert_eq!(WEBROOT.lookup(f.path).map(|g| g.path), Some(f.path));
            assert!(f.headers.starts_with("Content-Type: "), "{}", f.path);
            assert!(f.headers.ends_with("\r\n"));
        }
        for p in ["/", "/index.html", "/nope", "/app.cs"] {
            assert!(WEBROOT.lookup(p).is_none(), "{p}");
        }
    }

    #[test]
    fn dashboard_files_are_present() {
        for p in [
            "/index.shtml",
            "/app.css",
            "/app.js",
            "/favicon.svg",
            "/404.html",
        ] {
            assert!(WEBROOT.lookup(p).is_some(), "{p}");
        }
    }

    /// The file's identity bytes: `body`, or the source under `www/` when
    /// only the gzip body is stored.
    fn identity(f: &StaticFile) -> Vec<u8> {
        if f.gzip_only {
            let www = concat!(env!("CARGO_MANIFEST_DIR"), "/www");
            std::fs::read(format!("{www}{}", f.path)).unwrap()
        } else {
            f.body.to_vec()
        }
    }

    #[test]
    fn gzip_variants_decompress_to_the_body() {
        let mut any = false;
        for f in WEBROOT.files() {
            if let Some(gz) = f.gzip {
                any = true;
                let body = identity(f);
                assert!(gz.len() < body.len());
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(gz)
                    .read_to_end(&mut out)
                    .unwrap();
                assert_eq!(out, body, "{}", f.path);
            }
            assert!(f.gzip.is_none() || !f.is_ssi());
        }
        assert!(any);
    }

    #[test]
    fn gzip_only_feature_stores_one_copy() {
        let on = cfg!(feature = "gzip-only");
        for f in WEBROOT.files() {
            // gzip-only exactly for the files with a (smaller) gzip body.
            assert_eq!(f.gzip_only, on && f.gzip.is_some(), "{}", f.path);
            assert_eq!(f.gzip_only_body(), f.gzip.filter(|_| f.gzip_only));
            if f.gzip_only {
                assert!(f.body.is_empty(), "{}", f.path);
            } else {
                assert_eq!(f.body, identity(f), "{}", f.path);
            }
        }
        let index = WEBROOT.lookup("/index.shtml").unwrap();
        assert!(!index.gzip_only && !index.body.is_empty());
    }

    #[test]
    fn ssi_tags_point_at_tags_in_the_body() {
        let index = WEBROOT.lookup("/index.shtml").unwrap();
        let names: Vec<&str> = index.ssi.iter().map(|t| t.name).collect();
        for want in [
            "device_name",
            "version",
            "build",
            "uptime",
            "mdns_name",
            "time",
            "ip",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        for t in index.ssi {
            let text = &index.body[t.start as usize..t.end as usize];
            assert!(text.starts_with(b"<!--#") && text.ends_with(b"-->"));
        }
    }
}
