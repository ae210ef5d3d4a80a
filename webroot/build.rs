//! Packs `www/` into `$OUT_DIR/webroot.rs` (see petrel-webroot-pack).

fn main() {
    if let Err(e) = petrel_webroot_pack::build_script("www") {
        eprintln!("error: petrel-webroot: {e}");
        std::process::exit(1);
    }
}
