//! Prints the size of each file of a webroot as it would be packed:
//! identity bytes, stored gzip bytes, bytes on the wire for a client that
//! accepts gzip, and the flash the table's bodies take.
//!
//! `cargo run -p petrel-webroot-pack --example webroot-sizes -- webroot/www`

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "webroot/www".into()),
    );
    let files = match petrel_webroot_pack::scan(&dir, &Default::default()) {
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
        flash += f.len + g.unwrap_or(0);
    }
    println!("| **total** | {id} | {gz} | {wire} | flash for bodies: {flash} |");
}
