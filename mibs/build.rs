//! Compiles the MIB modules in this directory with petrel-mibc. A broken
//! module fails the build with `file:line: reason` per problem.

use std::path::PathBuf;

/// The modules compiled into `petrel-mibs` (each becomes `pub mod <snake>`).
const MODULES: &[&str] = &["PETREL-MIB", "SNMPv2-MIB", "IF-MIB"];

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let mut compiler = petrel_mibc::Compiler::new().search_dir(&dir);
    for m in MODULES {
        compiler = compiler.module(*m);
    }
    println!("cargo:rerun-if-changed={}", dir.display());
    match compiler.write_to(&out) {
        Ok(report) => {
            for f in &report.inputs {
                println!("cargo:rerun-if-changed={}", f.display());
            }
            // Minor problems of the standard modules are known and harmless
            // (IF-MIB's accessible ifIndex); report only our own module's.
            for w in report
                .warnings
                .iter()
                .filter(|w| w.file.ends_with("PETREL-MIB.mib"))
            {
                println!("cargo:warning={w}");
            }
        }
        Err(e) => {
            for p in &e.problems {
                eprintln!("{p}");
            }
            std::process::exit(1);
        }
    }
}
