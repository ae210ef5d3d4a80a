//! Packs `www/` into `$OUT_DIR/webroot.rs` (see petrel-webroot-pack); with
//! the `gzip-only` feature, compressible files are stored only gzipped.

fn main() {
    let packed = petrel_webroot_pack::Options::from_env().and_then(|o| {
        // Build scripts see the package's features as environment variables.
        let o = o.with_gzip_only(std::env::var_os("CARGO_FEATURE_GZIP_ONLY").is_some());
        petrel_webroot_pack::build_script_with("www", &o)
    });
    if let Err(e) = packed {
        eprintln!("error: petrel-webroot: {e}");
        std::process::exit(1);
    }
}
