//! Prints the size of each file of a webroot as it would be packed:
//! identity bytes, stored gzip bytes, bytes on the wire for a client that
//! accepts gzip, and the flash the table's bodies take. `--gzip-only`
//! packs as `Options::gzip_only` does (no identity copy when gzip is
//! smaller).
//!
//! `cargo run -p petrel-webroot-pack --example webroot-sizes -- webroot/www [--gzip-only]`

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gzip_only = args.iter().any(|a| a == "--gzip-only");
    let dir = PathBuf::from(
        args.iter()
            .find(|a| !a.starts_with("--"))
            .map_or("webroot/www", String::as_str),
    );
    let opts = petrel_webroot_pack::Options::default().with_gzip_only(gzip_only);
    let files = match petrel_webroot_pack::scan(&dir, &opts) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    println!("| file | identity | gzip | served (gzip client) | note |\n|---|---:|---:|---:|---|");
    let (mut id, mut gz, mut wire, mut flash) = (0, 0, 0, 0);
    for f in &files {
        let g = f.gzip.as_ref().map(Vec::len);
        let served = g.unwrap_or(f.len);
        let note = if !f.ssi.is_empty() {
            format!("SSI, {} tags, sent identity", f.ssi.len())
        } else if g.is_none() {
            "gzip not smaller".into()
        } else if f.gzip_only {
            "gzip only (no identity copy)".into()
        } else {
            String::new()
        };
        println!(
            "| {} | {} | {} | {served} | {note} |",
            f.url,
            f.len,
            g.map_or("–".into(), |g| g.to_string())
        );
        id += f.len;
        gz += g.unwrap_or(0);
        wire += served;
        flash += f.stored_len();
    }
    println!("| **total** | {id} | {gz} | {wire} | flash for bodies: {flash} |");
}
