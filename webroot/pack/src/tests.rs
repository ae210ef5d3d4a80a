//! Packing whole directories: sorting, errors, gzip, determinism.

use super::*;
use std::io::Read as _;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Tmp(PathBuf);

impl Tmp {
    fn new() -> Tmp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "petrel-pack-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    fn put(&self, rel: &str, body: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
        p
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn opts() -> Options {
    Options {
        source_date_epoch: Some(784_111_777),
        ..Options::default()
    }
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn sample(t: &Tmp) {
    t.put("www/index.shtml", b"<p><!--#uptime--></p>");
    t.put("www/app.css", "body{color:red}\n".repeat(50).as_bytes());
    t.put("www/css/Z.css", b"a{}");
    t.put("www/a b.txt", b"x");
    t.put("www/data.json", b"{\"a\":1}");
    t.put("www/.gitkeep", b"");
    t.put("www/old.html~", b"");
    t.put("www/img/logo.png", &[0x89, b'P', b'N', b'G']);
}

#[test]
fn files_are_sorted_by_path_bytes_and_dotfiles_skipped() {
    let t = Tmp::new();
    sample(&t);
    let files = scan(&t.0.join("www"), &opts()).unwrap();
    let urls: Vec<&str> = files.iter().map(|f| f.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "/a b.txt",
            "/app.css",
            "/css/Z.css",
            "/data.json",
            "/img/logo.png",
            "/index.shtml"
        ]
    );
    assert!(files.iter().all(|f| f.source.is_absolute()));
}

#[test]
fn headers_etag_and_cache_policy() {
    let t = Tmp::new();
    sample(&t);
    t.put("www/page.html", b"<h1>x</h1>");
    let files = scan(&t.0.join("www"), &opts()).unwrap();
    let get = |u: &str| files.iter().find(|f| f.url == u).unwrap();
    let css = get("/app.css");
    assert_eq!(css.etag.len(), 18);
    assert!(css.etag.starts_with('"') && css.etag.ends_with('"'));
    assert_eq!(
        css.headers,
        format!(
            "Content-Type: text/css; charset=utf-8\r\nETag: {}\r\n\
             Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nCache-Control: max-age=300\r\n",
            css.etag
        )
    );
    assert_eq!(css.modified_unix, 784_111_777);
    assert!(
        get("/page.html")
            .headers
            .ends_with("Cache-Control: no-cache\r\n")
    );
    let shtml = get("/index.shtml");
    assert_eq!(
        shtml.headers,
        "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
    );
    assert_eq!((shtml.modified_unix, shtml.last_modified.as_str()), (0, ""));
    assert_eq!(shtml.ssi.len(), 1);
    // A .json without tags is a plain (cacheable) file.
    assert!(get("/data.json").ssi.is_empty());
    assert!(get("/data.json").headers.contains("ETag"));
}

#[test]
fn etag_depends_on_content_only() {
    let t = Tmp::new();
    t.put("a/x.txt", b"same");
    t.put("b/y.txt", b"same");
    t.put("c/x.txt", b"other");
    let etag = |d: &str| scan(&t.0.join(d), &opts()).unwrap()[0].etag.clone();
    assert_eq!(etag("a"), etag("b"));
    assert_ne!(etag("a"), etag("c"));
    // sha256("same") = 0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5
    assert_eq!(etag("a"), "\"0967115f2813a354\"");
}

#[test]
fn mtime_is_used_without_source_date_epoch() {
    let t = Tmp::new();
    t.put("w/a.txt", b"a");
    let f = &scan(&t.0.join("w"), &Options::default()).unwrap()[0];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(f.modified_unix > 1_600_000_000 && f.modified_unix <= now + 1);
    assert_eq!(f.last_modified, imf_fixdate(f.modified_unix));
}

#[test]
fn gzip_only_when_smaller_and_never_for_ssi() {
    let t = Tmp::new();
    let big = "hello petrel ".repeat(100);
    t.put("w/big.txt", big.as_bytes());
    t.put("w/tiny.txt", b"x");
    // Incompressible bytes.
    let mut x: u32 = 7;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    t.put("w/noise.bin", &noise);
    t.put("w/page.shtml", format!("<!--#a-->{big}").as_bytes());
    t.put("w/notags.shtml", big.as_bytes());
    let files = scan(&t.0.join("w"), &opts()).unwrap();
    let get = |u: &str| files.iter().find(|f| f.url == u).unwrap();
    let gz = get("/big.txt").gzip.as_ref().unwrap();
    assert!(gz.len() < big.len());
    assert_eq!(gunzip(gz), big.as_bytes());
    assert!(get("/tiny.txt").gzip.is_none());
    assert!(get("/noise.bin").gzip.is_none());
    assert!(get("/page.shtml").gzip.is_none());
    assert!(get("/notags.shtml").gzip.is_some());
    let off = Options {
        gzip: false,
        ..opts()
    };
    assert!(
        scan(&t.0.join("w"), &off)
            .unwrap()
            .iter()
            .all(|f| f.gzip.is_none())
    );
}

#[test]
fn gzip_only_drops_the_identity_copy_of_compressible_files_only() {
    let t = Tmp::new();
    let big = "hello petrel ".repeat(100);
    t.put("w/big.txt", big.as_bytes());
    t.put("w/tiny.txt", b"x");
    let mut x: u32 = 11;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    t.put("w/noise.bin", &noise);
    t.put("w/page.shtml", format!("<!--#a-->{big}").as_bytes());
    t.put("w/notags.shtml", big.as_bytes());
    let both = scan(&t.0.join("w"), &opts()).unwrap();
    let only_opts = opts().with_gzip_only(true);
    let only = scan(&t.0.join("w"), &only_opts).unwrap();
    assert!(both.iter().all(|f| !f.gzip_only));
    let get = |u: &str| only.iter().find(|f| f.url == u).unwrap();
    for (u, want) in [
        ("/big.txt", true),
        ("/notags.shtml", true),
        ("/tiny.txt", false),
        ("/noise.bin", false),
        ("/page.shtml", false),
    ] {
        assert_eq!(get(u).gzip_only, want, "{u}");
    }
    assert_eq!(
        gunzip(get("/big.txt").gzip.as_ref().unwrap()),
        big.as_bytes()
    );
    assert_eq!(
        get("/big.txt").stored_len(),
        get("/big.txt").gzip.as_ref().unwrap().len()
    );
    assert_eq!(get("/noise.bin").stored_len(), noise.len());
    // Same entity: ETag, dates and headers do not depend on the mode.
    for (a, b) in both.iter().zip(&only) {
        assert_eq!(
            (&a.url, &a.etag, &a.headers, a.len),
            (&b.url, &b.etag, &b.headers, b.len)
        );
        assert_eq!(a.gzip, b.gzip);
    }
    // gzip off: nothing to be gzip-only with.
    let mut off = opts().with_gzip_only(true);
    off.gzip = false;
    assert!(
        scan(&t.0.join("w"), &off)
            .unwrap()
            .iter()
            .all(|f| !f.gzip_only && f.gzip.is_none())
    );

    // The emitted table: no identity bytes for gzip-only files.
    let out = pack(&[(&t.0.join("w"), "/")], &t.0.join("o"), &only_opts).unwrap();
    let src = std::fs::read_to_string(&out.output).unwrap();
    let entry = |u: &str| {
        let start = src.find(&format!("path: {u:?}")).unwrap();
        let end = src[start..].find("\n    },").unwrap();
        src[start..start + end].to_owned()
    };
    let e = entry("/big.txt");
    assert!(
        e.contains("body: &[],") && e.contains("gzip_only: true,"),
        "{e}"
    );
    assert!(
        e.contains("gzip: Some(include_bytes!(") && !e.contains("big.txt\")"),
        "{e}"
    );
    for u in ["/page.shtml", "/noise.bin", "/tiny.txt"] {
        let e = entry(u);
        assert!(
            e.contains("body: include_bytes!(") && e.contains("gzip_only: false,"),
            "{e}"
        );
    }
    assert!(!src.contains(&format!("{:?}", get("/big.txt").source.to_string_lossy())));
    assert!(src.contains("gzip-only"), "{src}");
    let default = pack(&[(&t.0.join("w"), "/")], &t.0.join("o2"), &opts()).unwrap();
    let src = std::fs::read_to_string(&default.output).unwrap();
    assert!(!src.contains("gzip_only: true") && !src.contains("body: &[]"));
}

#[test]
fn ssi_extensions_are_the_documented_ones() {
    let t = Tmp::new();
    for ext in [
        "shtml", "shtm", "ssi", "xml", "json", "SHTML", "html", "js", "css", "txt",
    ] {
        t.put(&format!("w/f.{ext}"), b"<!--#a--> /*#b*/");
    }
    let files = scan(&t.0.join("w"), &opts()).unwrap();
    for f in &files {
        let ext = f.url.rsplit('.').next().unwrap().to_ascii_lowercase();
        let want = ["shtml", "shtm", "ssi", "xml", "json"].contains(&ext.as_str());
        assert_eq!(f.ssi.len(), if want { 2 } else { 0 }, "{}", f.url);
    }
}

#[test]
fn errors_name_the_file() {
    let t = Tmp::new();
    let e = scan(&t.0.join("nope"), &opts()).unwrap_err();
    assert!(matches!(e, Error::MissingDir { .. }));
    let msg = e.to_string();
    assert!(msg.contains("nope") && msg.contains("create it"), "{msg}");

    let file = t.put("f.txt", b"");
    assert!(matches!(
        scan(&file, &opts()).unwrap_err(),
        Error::NotADir { .. }
    ));

    t.put("long/a.txt", b"");
    let short = Options {
        max_path_len: 4,
        ..opts()
    };
    let e = scan(&t.0.join("long"), &short).unwrap_err();
    assert!(matches!(e, Error::PathTooLong { .. }));
    assert!(e.to_string().contains("a.txt"), "{e}");

    t.put("ctl/a\nb.txt", b"");
    let e = scan(&t.0.join("ctl"), &opts()).unwrap_err();
    assert!(matches!(e, Error::BadPath { ch: '\n', .. }), "{e}");
}

#[cfg(unix)]
#[test]
fn non_utf8_and_unreadable_files_are_errors() {
    use std::os::unix::ffi::OsStrExt as _;
    let t = Tmp::new();
    std::fs::create_dir_all(t.0.join("bad")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"x\xff.txt");
    std::fs::write(t.0.join("bad").join(name), b"").unwrap();
    let e = scan(&t.0.join("bad"), &opts()).unwrap_err();
    assert!(matches!(e, Error::NonUtf8Path { .. }));
    assert!(e.to_string().contains("not UTF-8"), "{e}");

    // A dangling symlink cannot be read.
    std::fs::create_dir_all(t.0.join("dang")).unwrap();
    std::os::unix::fs::symlink(t.0.join("missing"), t.0.join("dang/l.txt")).unwrap();
    let e = scan(&t.0.join("dang"), &opts()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    assert!(e.to_string().contains("l.txt"), "{e}");
}

#[test]
fn duplicate_paths_across_mounts_are_errors() {
    let t = Tmp::new();
    t.put("a/s/x.css", b"1");
    t.put("b/x.css", b"2");
    let e = scan_mounts(&[(&t.0.join("a"), "/"), (&t.0.join("b"), "/s")], &opts()).unwrap_err();
    match &e {
        Error::Duplicate { url, .. } => assert_eq!(url, "/s/x.css"),
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("x.css"));
    let ok = scan_mounts(&[(&t.0.join("a"), "/"), (&t.0.join("b"), "/t")], &opts()).unwrap();
    assert_eq!(ok.len(), 2);
    for bad in ["", "s", "/s/"] {
        assert!(matches!(
            scan_mounts(&[(&t.0.join("b"), bad)], &opts()).unwrap_err(),
            Error::BadPrefix { .. }
        ));
    }
}

#[test]
fn source_date_epoch_must_be_a_number() {
    // Only the parser: the environment is shared between test threads.
    assert_eq!(
        parse_source_date_epoch("1700000000").unwrap(),
        1_700_000_000
    );
    assert_eq!(parse_source_date_epoch(" 0\n").unwrap(), 0);
    for bad in ["", "-1", "1.5", "yesterday"] {
        let e = parse_source_date_epoch(bad).unwrap_err();
        assert!(e.to_string().contains("SOURCE_DATE_EPOCH"), "{e}");
    }
}

#[test]
fn pack_is_deterministic_and_writes_gz_files() {
    let t = Tmp::new();
    sample(&t);
    let www = t.0.join("www");
    let a = pack(&[(&www, "/")], &t.0.join("out1"), &opts()).unwrap();
    let b = pack(&[(&www, "/")], &t.0.join("out2"), &opts()).unwrap();
    let src1 = std::fs::read_to_string(&a.output).unwrap();
    let src2 = std::fs::read_to_string(&b.output).unwrap();
    assert_eq!(src1.replace("out1", "out2"), src2);
    assert!(src1.contains("pub static WEBROOT: ::petrel_httpd::fs::StaticFs"));
    assert!(src1.contains("name: \"uptime\""));
    // The gzip files exist and decompress to the source.
    for f in &a.files {
        if let Some(gz) = &f.gzip {
            let on_disk =
                std::fs::read(t.0.join("out1/webroot-gz").join(format!("{}.gz", f.sha256)))
                    .unwrap();
            assert_eq!(&on_disk, gz);
            assert_eq!(gunzip(gz), std::fs::read(&f.source).unwrap());
        }
    }
    // Watched: every directory and every file.
    assert!(a.watched.iter().any(|p| p.ends_with("www/css")));
    assert!(a.watched.iter().any(|p| p.ends_with("www/img/logo.png")));
    // Packing again leaves the output untouched.
    let before = std::fs::metadata(&a.output).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    pack(&[(&www, "/")], &t.0.join("out1"), &opts()).unwrap();
    assert_eq!(
        std::fs::metadata(&a.output).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn strings_with_quotes_are_escaped() {
    let t = Tmp::new();
    t.put("w/q\"u'o.shtml", b"<!--#say \"hi\" \\ there-->");
    let out = pack(&[(&t.0.join("w"), "/")], &t.0.join("o"), &opts()).unwrap();
    let src = std::fs::read_to_string(out.output).unwrap();
    assert!(src.contains(r#"path: "/q\"u'o.shtml""#), "{src}");
    assert!(src.contains(r#"arg: "\"hi\" \\ there""#), "{src}");
}

#[test]
fn scripts_are_stored_stripped_unless_turned_off() {
    let t = Tmp::new();
    let js = "// the app\nfunction f() {\n    return 1;\n}\n".repeat(20);
    let src = t.put("www/app.js", js.as_bytes());
    let www = t.0.join("www");
    let want = strip_js(js.as_bytes()).unwrap();

    let packed = pack(&[(&www, "/")], &t.0.join("out"), &opts()).unwrap();
    let f = &packed.files[0];
    assert_eq!(f.stripped.as_deref(), Some(&want[..]));
    assert_eq!(f.len, want.len());
    assert_eq!(gunzip(f.gzip.as_ref().unwrap()), want);
    // The ETag is the stored content's.
    assert_eq!(f.sha256.len(), 64);
    let stored = t.0.join("out/webroot-gz").join(format!("{}.js", f.sha256));
    assert_eq!(std::fs::read(&stored).unwrap(), want);
    let code = std::fs::read_to_string(&packed.output).unwrap();
    assert!(code.contains(&stored.to_string_lossy().replace('\\', "\\\\").to_string()));
    assert!(!code.contains(&*src.to_string_lossy()));

    let mut keep = opts();
    keep.strip_js = false;
    let packed = pack(&[(&www, "/")], &t.0.join("out2"), &keep).unwrap();
    let f = &packed.files[0];
    assert_eq!(f.stripped, None);
    assert_eq!(f.len, js.len());
    assert_eq!(gunzip(f.gzip.as_ref().unwrap()), js.as_bytes());
}
