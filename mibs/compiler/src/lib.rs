//! # petrel-mibc — Petrel's MIB compiler
//!
//! Turns SMIv2 MIB modules into Rust for `petrel-snmp`, at build time
//! (from a `build.rs`), in the normal Rust toolchain. It parses and
//! resolves the modules with [`mib_rs`], then emits, per module:
//!
//! - `NODES`: a static table of every node the module defines, sorted by
//!   OID, with its name, kind, base syntax, MAX-ACCESS, value ranges, SIZE
//!   ranges, named numbers and (for rows) INDEX parts;
//! - `oids::*`: each node's OID as a `&[u32]` constant, and for each
//!   NOTIFICATION-TYPE the OIDs of its OBJECTS;
//! - a Rust `enum` for every enumerated INTEGER (TruthValue becomes `bool`);
//! - **typed handler traits**: one per group of scalars (the scalars under
//!   one parent node, e.g. `trait PetrelDevice`) with a getter per object and,
//!   for writable ones, a `set_*` and an optional `test_*` check; and one
//!   per table (e.g. `trait PetrelLogTable`) with a row struct, the index
//!   type decoded for you, `*_next(after)` for walks and `*_entry(index)`
//!   for lookups;
//! - `Handlers<T>`, the `petrel_snmp::compiled::Dispatch` glue, and
//!   `mib(handlers)`, which returns a `petrel_snmp::compiled::CompiledMib`
//!   ready for the agent. Types, sizes, ranges, enumerations and access are
//!   checked before a setter runs.
//!
//! The generated code is `no_std`, allocation-free and needs no editing: the
//! board implements the traits. A broken module fails with
//! `file:line: reason` for each problem.
//!
//! ```no_run
//! // build.rs of a crate with `petrel-snmp` as a dependency:
//! let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
//! let report = petrel_mibc::Compiler::new()
//!     .search_dir("mibs")
//!     .module("PETREL-MIB")
//!     .write_to(&out)
//!     .unwrap_or_else(|e| panic!("{e}"));
//! for w in &report.warnings {
//!     println!("cargo:warning={w}");
//! }
//! for f in &report.inputs {
//!     println!("cargo:rerun-if-changed={}", f.display());
//! }
//! // lib.rs: pub mod petrel_mib { include!(concat!(env!("OUT_DIR"), "/petrel_mib.rs")); }
//! ```

mod emit;
mod model;
mod names;

use std::fmt;
use std::path::{Path, PathBuf};

use mib_rs::{DiagnosticConfig, Loader, ResolverStrictness, Severity};

/// One problem, located in a module text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file (or source label) it is in.
    pub file: String,
    /// 1-based line (0 if unknown).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// Why compiling failed: every problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The problems, in source order per module.
    pub problems: Vec<Problem>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "MIB compilation failed:")?;
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl Error {
    fn new(file: impl Into<String>, line: usize, reason: impl Into<String>) -> Error {
        Error {
            problems: vec![Problem {
                file: file.into(),
                line,
                reason: reason.into(),
            }],
        }
    }
}

/// The generated Rust of one module.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The SMI module name (`PETREL-MIB`).
    pub module: String,
    /// The Rust module name (`petrel_mib`); `write_to` names the file
    /// `<rust_name>.rs`.
    pub rust_name: String,
    /// The code: items only (no inner attributes), for `include!`.
    pub code: String,
}

/// What a successful compile produced.
#[derive(Clone, Debug)]
pub struct Output {
    /// One entry per requested module, in request order.
    pub modules: Vec<Generated>,
    /// Problems that did not stop the build (`file:line: reason`): print
    /// them as `cargo:warning`s.
    pub warnings: Vec<Problem>,
    /// Every module text read (for `cargo:rerun-if-changed`).
    pub inputs: Vec<PathBuf>,
}

/// The compiler's settings (a builder).
#[derive(Clone, Debug, Default)]
pub struct Compiler {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
    modules: Vec<String>,
}

/// File extensions taken from a search directory.
const EXTENSIONS: &[&str] = &["mib", "my", "smi", "txt"];

impl Compiler {
    /// A compiler with no sources and no modules.
    pub fn new() -> Self {
        Compiler::default()
    }

    /// Reads every `*.mib` (also `.my`, `.smi`, `.txt`) file directly in
    /// `dir` (not its subdirectories). Module names come from the texts.
    pub fn search_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dirs.push(dir.into());
        self
    }

    /// Reads one module text.
    pub fn file(mut self, file: impl Into<PathBuf>) -> Self {
        self.files.push(file.into());
        self
    }

    /// Compiles the module `name` (its imports are read, not compiled).
    pub fn module(mut self, name: impl Into<String>) -> Self {
        self.modules.push(name.into());
        self
    }

    fn inputs(&self) -> Result<Vec<PathBuf>, Error> {
        let mut files = self.files.clone();
        for d in &self.dirs {
            let entries = std::fs::read_dir(d)
                .map_err(|e| Error::new(d.display().to_string(), 0, format!("cannot read: {e}")))?;
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| {
                    p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                })
                .collect();
            found.sort();
            files.extend(found);
        }
        Ok(files)
    }

    /// Parses, resolves and generates. Fails with every error-level
    /// problem of the requested modules (and fatal problems of any module
    /// they import), each as `file:line: reason`.
    pub fn compile(&self) -> Result<Output, Error> {
        if self.modules.is_empty() {
            return Err(Error::new("petrel-mibc", 0, "no module to compile"));
        }
        let inputs = self.inputs()?;
        let source = mib_rs::source::files(&inputs)
            .map_err(|e| Error::new("petrel-mibc", 0, format!("cannot read MIB files: {e}")))?;
        // Collect everything, decide what fails here (so that problems in
        // old imported modules do not stop a build).
        let config = DiagnosticConfig {
            fail_at: Severity::Fatal,
            ..DiagnosticConfig::default()
        };
        let mib = Loader::new()
            .source(source)
            .modules(self.modules.iter().cloned())
            .resolver_strictness(ResolverStrictness::Strict)
            .diagnostic_config(config)
            .load();
        let mib = match mib {
            Ok(m) => m,
            Err(mib_rs::LoadError::DiagnosticThreshold { report }) => {
                return Err(Error {
                    problems: report.iter().map(|e| problem(&e)).collect(),
                });
            }
            Err(mib_rs::LoadError::MissingModules(names)) => {
                return Err(Error::new(
                    "petrel-mibc",
                    0,
                    format!(
                        "module {} not found in {}",
                        names.join(", "),
                        self.describe_sources()
                    ),
                ));
            }
            Err(e) => return Err(Error::new("petrel-mibc", 0, e.to_string())),
        };
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for entry in mib.diagnostic_report().iter() {
            let d = entry.diagnostic();
            let ours = d
                .module
                .as_ref()
                .is_none_or(|m| self.modules.iter().any(|n| n == m));
            let fails = d.severity.at_least(Severity::Severe)
                || (ours && d.severity.at_least(Severity::Error));
            if fails {
                errors.push(problem(&entry));
            } else if ours && d.severity.at_least(Severity::Minor) {
                warnings.push(problem(&entry));
            }
        }
        if !errors.is_empty() {
            return Err(Error { problems: errors });
        }
        let mut modules = Vec::new();
        for name in &self.modules {
            let module = mib.module(name).ok_or_else(|| {
                Error::new("petrel-mibc", 0, format!("module {name} did not load"))
            })?;
            let model = model::build(&mib, module)?;
            modules.push(Generated {
                module: name.clone(),
                rust_name: model.rust_name.clone(),
                code: emit::emit(&model),
            });
        }
        Ok(Output {
            modules,
            warnings,
            inputs,
        })
    }

    /// [`Compiler::compile`], then writes each module to
    /// `<dir>/<rust_name>.rs`.
    pub fn write_to(&self, dir: &Path) -> Result<Output, Error> {
        let out = self.compile()?;
        for m in &out.modules {
            let path = dir.join(format!("{}.rs", m.rust_name));
            std::fs::write(&path, &m.code).map_err(|e| {
                Error::new(path.display().to_string(), 0, format!("cannot write: {e}"))
            })?;
        }
        Ok(out)
    }

    fn describe_sources(&self) -> String {
        let all: Vec<String> = self
            .dirs
            .iter()
            .chain(&self.files)
            .map(|p| p.display().to_string())
            .collect();
        if all.is_empty() {
            "no sources".into()
        } else {
            all.join(", ")
        }
    }
}

/// A mib-rs diagnostic as `file:line: reason`.
fn problem(entry: &mib_rs::DiagnosticEntry<'_>) -> Problem {
    let d = entry.diagnostic();
    let (file, line) = match (entry.range(), entry.byte_positions()) {
        (Ok(Some((source, _))), Ok(Some((start, _)))) => {
            (source.label().to_string(), start.line() as usize + 1)
        }
        _ => (d.module.clone().unwrap_or_else(|| "petrel-mibc".into()), 0),
    };
    Problem {
        file,
        line,
        reason: format!("{} ({}) [{}]", d.message, d.severity, d.code),
    }
}
