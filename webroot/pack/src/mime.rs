//! File extension → `Content-Type`, and which files are cached how.

/// The `Content-Type` for a file name, from its extension (case-insensitive).
///
/// Text types carry `; charset=utf-8`. Unknown extensions (and `.bin`) are
/// `application/octet-stream`.
///
/// ```
/// use petrel_webroot_pack::mime_for;
/// assert_eq!(mime_for("app.JS"), "text/javascript; charset=utf-8");
/// assert_eq!(mime_for("font.woff2"), "font/woff2");
/// assert_eq!(mime_for("README"), "application/octet-stream");
/// ```
pub fn mime_for(name: &str) -> &'static str {
    let ext = extension(name);
    MIME_TABLE
        .iter()
        .find(|(e, _)| ext.eq_ignore_ascii_case(e))
        .map_or("application/octet-stream", |(_, m)| m)
}

/// The complete extension table, in one place so it can be documented and
/// tested.
pub const MIME_TABLE: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("shtml", "text/html; charset=utf-8"),
    ("shtm", "text/html; charset=utf-8"),
    ("ssi", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("map", "application/json"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("ico", "image/x-icon"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("wasm", "application/wasm"),
    ("csv", "text/csv; charset=utf-8"),
    ("txt", "text/plain; charset=utf-8"),
    ("xml", "application/xml"),
    ("pdf", "application/pdf"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("mp3", "audio/mpeg"),
    ("wav", "audio/wav"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("bin", "application/octet-stream"),
];

/// The extension of a file name without the dot ("" when there is none).
pub(crate) fn extension(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    match base.rfind('.') {
        Some(i) if i > 0 => base.get(i + 1..).unwrap_or(""),
        _ => "",
    }
}

/// Whether `name` is an HTML page (revalidated on every use rather than
/// cached for `max-age`).
pub(crate) fn is_page(name: &str) -> bool {
    ["html", "htm", "shtml", "shtm", "ssi"]
        .iter()
        .any(|e| extension(name).eq_ignore_ascii_case(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_extension_has_its_type() {
        let want = [
            ("a.html", "text/html; charset=utf-8"),
            ("a.htm", "text/html; charset=utf-8"),
            ("a.shtml", "text/html; charset=utf-8"),
            ("a.shtm", "text/html; charset=utf-8"),
            ("a.ssi", "text/html; charset=utf-8"),
            ("a.css", "text/css; charset=utf-8"),
            ("a.js", "text/javascript; charset=utf-8"),
            ("a.mjs", "text/javascript; charset=utf-8"),
            ("a.json", "application/json"),
            ("a.js.map", "application/json"),
            ("a.svg", "image/svg+xml"),
            ("a.png", "image/png"),
            ("a.jpg", "image/jpeg"),
            ("a.JPEG", "image/jpeg"),
            ("a.gif", "image/gif"),
            ("a.webp", "image/webp"),
            ("favicon.ico", "image/x-icon"),
            ("a.woff", "font/woff"),
            ("a.woff2", "font/woff2"),
            ("a.ttf", "font/ttf"),
            ("a.otf", "font/otf"),
            ("a.wasm", "application/wasm"),
            ("a.csv", "text/csv; charset=utf-8"),
            ("a.txt", "text/plain; charset=utf-8"),
            ("a.xml", "application/xml"),
            ("a.pdf", "application/pdf"),
            ("a.mp4", "video/mp4"),
            ("a.webm", "video/webm"),
            ("a.mp3", "audio/mpeg"),
            ("a.wav", "audio/wav"),
            ("a.zip", "application/zip"),
            ("a.tar.gz", "application/gzip"),
            ("a.bin", "application/octet-stream"),
            ("Makefile", "application/octet-stream"),
            (".hidden", "application/octet-stream"),
            ("dir.d/noext", "application/octet-stream"),
            ("a.", "application/octet-stream"),
        ];
        for (name, mime) in want {
            assert_eq!(mime_for(name), mime, "{name}");
        }
    }

    #[test]
    fn table_has_no_duplicate_extensions() {
        for (i, (e, _)) in MIME_TABLE.iter().enumerate() {
            assert!(
                MIME_TABLE.iter().skip(i + 1).all(|(o, _)| o != e),
                "duplicate {e}"
            );
        }
    }

    #[test]
    fn pages_are_the_html_family() {
        assert!(is_page("/index.shtml"));
        assert!(is_page("/a/B.HTM"));
        assert!(!is_page("/app.css"));
        assert!(!is_page("/html"));
    }
}
