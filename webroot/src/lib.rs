//! The Petrel device dashboard, packed at build time.
//!
//! `build.rs` runs [petrel-webroot-pack] over `webroot/www/` and this crate
//! includes the generated table: [`WEBROOT`] is a
//! [`petrel_httpd::fs::StaticFs`] sorted by path, with MIME types,
//! precomputed headers, ETags, gzip bodies (when smaller) and SSI tag
//! offsets. A changed, added or removed file under `www/` rebuilds it; a
//! missing `www/` is a build error.
//!
//! ```
//! let index = petrel_webroot::WEBROOT.lookup("/index.shtml").unwrap();
//! assert!(index.is_ssi());
//! assert!(index.headers.starts_with("Content-Type: text/html"));
//! assert!(petrel_webroot::WEBROOT.lookup("/app.css").unwrap().gzip.is_some());
//! ```
//!
//! [petrel-webroot-pack]: ../petrel_webroot_pack/index.html
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/webroot.rs"));

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn gzip_variants_decompress_to_the_body() {
        let mut any = false;
        for f in WEBROOT.files() {
            if let Some(gz) = f.gzip {
                any = true;
                assert!(gz.len() < f.body.len());
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(gz)
                    .read_to_end(&mut out)
                    .unwrap();
                assert_eq!(out, f.body, "{}", f.path);
            }
            assert!(f.gzip.is_none() || !f.is_ssi());
        }
        assert!(any);
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
