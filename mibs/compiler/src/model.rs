//! What the generator needs from a resolved module, in plain data.

use std::collections::{BTreeMap, HashSet};

use mib_rs::{Access, BaseType, IndexEncoding, Kind, Mib};

use crate::names::{camel, module_ident, screaming, snake};
use crate::{Error, Problem};

/// Longest string a compiled object may hold (the agent copies values
/// through a 256-octet scratch buffer).
pub(crate) const MAX_STRING: u64 = 255;

/// The Rust type a handler deals in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RustTy {
    I32,
    /// Unsigned32, Gauge32, Counter32, TimeTicks (the syntax picks the tag).
    U32,
    U64,
    Bool,
    /// A generated enum.
    Enum(String),
    Ip,
    /// OCTET STRING / BITS / Opaque with this capacity.
    Str(usize),
    Oid,
}

#[derive(Clone, Debug)]
pub(crate) struct NodeM {
    pub(crate) oid: Vec<u32>,
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) syntax: &'static str,
    pub(crate) access: &'static str,
    pub(crate) ranges: Vec<(i64, i64)>,
    pub(crate) sizes: Vec<(u32, u32)>,
    pub(crate) enums: Vec<(i32, String)>,
    pub(crate) display_string: bool,
    pub(crate) index: Vec<IndexPartM>,
    pub(crate) descr: String,
}

#[derive(Clone, Debug)]
pub(crate) struct IndexPartM {
    pub(crate) name: String,
    pub(crate) syntax: &'static str,
    pub(crate) fixed_len: Option<u32>,
    pub(crate) implied: bool,
    /// The Rust type of the component.
    pub(crate) rust: String,
    /// How to turn a component into a value: its handler type.
    pub(crate) ty: RustTy,
}

#[derive(Clone, Debug)]
pub(crate) struct EnumM {
    pub(crate) name: String,
    pub(crate) descr: String,
    /// (Rust variant, SMI label, number)
    pub(crate) values: Vec<(String, String, i32)>,
}

#[derive(Clone, Debug)]
pub(crate) struct ObjM {
    pub(crate) name: String,
    pub(crate) snake: String,
    pub(crate) node: usize,
    pub(crate) ty: RustTy,
    pub(crate) syntax: &'static str,
    pub(crate) writable: bool,
    pub(crate) summary: String,
}

#[derive(Clone, Debug)]
pub(crate) struct GroupM {
    pub(crate) trait_name: String,
    pub(crate) parent: String,
    pub(crate) objects: Vec<ObjM>,
}

#[derive(Clone, Debug)]
pub(crate) struct ColM {
    pub(crate) obj: ObjM,
    /// Position in the INDEX if the column is an (accessible) index part.
    pub(crate) index_pos: Option<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct TableM {
    pub(crate) table: String,
    pub(crate) trait_name: String,
    /// Method prefix (`petrel_log`).
    pub(crate) prefix: String,
    pub(crate) row_struct: String,
    pub(crate) index_alias: String,
    pub(crate) index: Vec<IndexPartM>,
    pub(crate) columns: Vec<ColM>,
    pub(crate) summary: String,
}

#[derive(Clone, Debug)]
pub(crate) struct NotifM {
    pub(crate) name: String,
    pub(crate) oid: Vec<u32>,
    pub(crate) objects: Vec<(String, Vec<u32>)>,
    pub(crate) summary: String,
}

#[derive(Clone, Debug)]
pub(crate) struct ModuleM {
    pub(crate) name: String,
    pub(crate) rust_name: String,
    pub(crate) file: String,
    pub(crate) identity: Option<Vec<u32>>,
    pub(crate) descr: String,
    pub(crate) nodes: Vec<NodeM>,
    pub(crate) enums: Vec<EnumM>,
    pub(crate) groups: Vec<GroupM>,
    pub(crate) tables: Vec<TableM>,
    pub(crate) notifications: Vec<NotifM>,
}

fn syntax_name(b: BaseType) -> Option<&'static str> {
    Some(match b {
        BaseType::Integer32 => "Integer32",
        BaseType::Unsigned32 => "Unsigned32",
        BaseType::Gauge32 => "Gauge32",
        BaseType::Counter32 => "Counter32",
        BaseType::Counter64 => "Counter64",
        BaseType::TimeTicks => "TimeTicks",
        BaseType::IpAddress => "IpAddress",
        BaseType::OctetString => "OctetString",
        BaseType::ObjectIdentifier => "ObjectIdentifier",
        BaseType::Bits => "Bits",
        BaseType::Opaque => "Opaque",
        _ => return None,
    })
}

fn access_name(a: Access) -> &'static str {
    match a {
        Access::ReadOnly => "ReadOnly",
        Access::ReadWrite | Access::WriteOnly => "ReadWrite",
        Access::ReadCreate => "ReadCreate",
        Access::AccessibleForNotify => "AccessibleForNotify",
        _ => "NotAccessible",
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Scalar => "Scalar",
        Kind::Table => "Table",
        Kind::Row => "Row",
        Kind::Column => "Column",
        Kind::Notification => "Notification",
        Kind::Group => "Group",
        Kind::Compliance | Kind::Capability => "Compliance",
        _ => "Node",
    }
}

/// The first sentence (or line) of a DESCRIPTION, whitespace collapsed.
fn summary(descr: &str) -> String {
    let flat: String = descr.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(i) => flat[..=i].to_string(),
        None => flat,
    }
}

struct Ctx<'m> {
    module: mib_rs::Module<'m>,
    file: String,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn line(&self, range: Option<mib_rs::SourceRange>) -> usize {
        let Some(r) = range else { return 0 };
        self.module
            .source()
            .and_then(|doc| doc.byte_position(r.start()).ok())
            .map_or(0, |p| p.line() as usize + 1)
    }

    fn fail(&mut self, range: Option<mib_rs::SourceRange>, reason: String) {
        let line = self.line(range);
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            reason,
        });
    }
}

/// Whether the object's type descends from DisplayString (or has its
/// `255a` hint).
fn is_display_string(obj: mib_rs::Object<'_>) -> bool {
    let mut t = obj.ty();
    for _ in 0..32 {
        let Some(ty) = t else { break };
        if ty.name() == "DisplayString" {
            return true;
        }
        t = ty.parent();
    }
    obj.effective_display_hint() == "255a"
}

fn is_truth_value(obj: mib_rs::Object<'_>) -> bool {
    let mut t = obj.ty();
    for _ in 0..32 {
        let Some(ty) = t else { break };
        if ty.name() == "TruthValue" {
            return true;
        }
        t = ty.parent();
    }
    false
}

fn ranges(r: &[mib_rs::mib::Range]) -> Vec<(i64, i64)> {
    r.iter()
        .filter_map(|r| {
            Some((
                r.min.as_i64()?,
                r.max
                    .as_i64()
                    .or_else(|| r.max.as_u64().map(|_| i64::MAX))?,
            ))
        })
        .collect()
}

fn sizes(r: &[mib_rs::mib::Range]) -> Vec<(u32, u32)> {
    r.iter()
        .filter_map(|r| {
            let lo = u32::try_from(r.min.as_u64()?).ok()?;
            let hi = u32::try_from(r.max.as_u64()?.min(u64::from(u32::MAX))).ok()?;
            Some((lo, hi))
        })
        .collect()
}

/// The Rust enum name for an enumerated object: its TC's name, or the
/// object's own.
fn enum_name(obj: mib_rs::Object<'_>) -> String {
    match obj.ty() {
        Some(t) if t.is_textual_convention() && !t.effective_enums().is_empty() => camel(t.name()),
        Some(t) if t.is_textual_convention() => match t.effective_tc() {
            Some(tc) if !tc.effective_enums().is_empty() => camel(tc.name()),
            _ => camel(obj.name()),
        },
        _ => camel(obj.name()),
    }
}

pub(crate) fn build(mib: &Mib, module: mib_rs::Module<'_>) -> Result<ModuleM, Error> {
    let file = module
        .source_label()
        .map_or_else(|| module.name().to_string(), str::to_string);
    let file_name = std::path::Path::new(&file)
        .file_name()
        .map_or_else(|| file.clone(), |f| f.to_string_lossy().into_owned());
    let mut cx = Ctx {
        module,
        file: file.clone(),
        problems: Vec::new(),
    };
    let _ = mib;

    // Every node with an OID, sorted.
    let mut nodes: Vec<NodeM> = Vec::new();
    let mut enums: BTreeMap<String, EnumM> = BTreeMap::new();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    let mut raw: Vec<mib_rs::Node<'_>> = module.nodes().collect();
    raw.sort_by(|a, b| a.oid()[..].cmp(&b.oid()[..]));
    raw.dedup_by(|a, b| a.oid()[..] == b.oid()[..]);
    for n in &raw {
        let mut m = NodeM {
            oid: n.oid()[..].to_vec(),
            name: n.name().to_string(),
            kind: kind_name(n.kind()),
            syntax: "None",
            access: "NotAccessible",
            ranges: Vec::new(),
            sizes: Vec::new(),
            enums: Vec::new(),
            display_string: false,
            index: Vec::new(),
            descr: summary(
                n.object()
                    .map(|o| o.description())
                    .or_else(|| n.notification().map(|x| x.description()))
                    .unwrap_or_else(|| n.description()),
            ),
        };
        if let Some(obj) = n.object()
            && matches!(n.kind(), Kind::Scalar | Kind::Column)
        {
            let base = obj.ty().map(|t| t.effective_base()).unwrap_or_default();
            let Some(syntax) = syntax_name(base) else {
                cx.fail(
                    obj.range(),
                    format!("{}: unsupported syntax {base}", obj.name()),
                );
                continue;
            };
            m.syntax = syntax;
            m.access = access_name(obj.access());
            m.ranges = ranges(obj.effective_ranges());
            m.sizes = sizes(obj.effective_sizes());
            m.display_string = is_display_string(obj);
            if base == BaseType::Integer32 {
                for e in obj.effective_enums() {
                    match i32::try_from(e.value) {
                        Ok(v) => m.enums.push((v, e.label.clone())),
                        Err(_) => cx.fail(
                            Some(e.range),
                            format!(
                                "{}: enumeration value {} is not an Integer32",
                                obj.name(),
                                e.value
                            ),
                        ),
                    }
                }
                if !m.enums.is_empty() && !is_truth_value(obj) {
                    let name = enum_name(obj);
                    let descr = obj
                        .ty()
                        .filter(|t| t.is_textual_convention())
                        .map_or_else(|| summary(obj.description()), |t| summary(t.description()));
                    let values = m
                        .enums
                        .iter()
                        .map(|(v, l)| (camel(l), l.clone(), *v))
                        .collect();
                    enums.entry(name.clone()).or_insert(EnumM {
                        name,
                        descr,
                        values,
                    });
                }
            }
        }
        by_name.insert(m.name.clone(), nodes.len());
        nodes.push(m);
    }

    // Objects, grouped.
    let obj_of = |cx: &mut Ctx<'_>,
                  obj: mib_rs::Object<'_>,
                  by_name: &BTreeMap<String, usize>,
                  nodes: &[NodeM]|
     -> Option<ObjM> {
        let pos = *by_name.get(obj.name())?;
        let n = nodes.get(pos)?;
        let ty = rust_ty(cx, obj, n)?;
        Some(ObjM {
            name: obj.name().to_string(),
            snake: snake(obj.name()),
            node: pos,
            ty,
            syntax: n.syntax,
            writable: matches!(n.access, "ReadWrite" | "ReadCreate"),
            summary: summary(obj.description()),
        })
    };

    let mut groups: BTreeMap<String, GroupM> = BTreeMap::new();
    let mut tables = Vec::new();
    for obj in module.objects() {
        let Some(node) = obj.node() else { continue };
        match node.kind() {
            Kind::Scalar => {
                if !matches!(
                    access_name(obj.access()),
                    "ReadOnly" | "ReadWrite" | "ReadCreate"
                ) {
                    continue;
                }
                let Some(o) = obj_of(&mut cx, obj, &by_name, &nodes) else {
                    continue;
                };
                let parent = node
                    .parent()
                    .map_or_else(|| module.name().to_string(), |p| p.name().to_string());
                groups
                    .entry(parent.clone())
                    .or_insert_with(|| GroupM {
                        trait_name: camel(&parent),
                        parent: parent.clone(),
                        objects: Vec::new(),
                    })
                    .objects
                    .push(o);
            }
            Kind::Table => {
                if let Some(t) = table(&mut cx, obj, &by_name, &nodes, &obj_of) {
                    tables.push(t);
                }
            }
            _ => {}
        }
    }
    // Index parts on row nodes (metadata).
    for t in &tables {
        if let Some(row) = module
            .objects()
            .find(|o| o.table().is_some_and(|x| x.name() == t.table) && o.is_row())
            && let Some(&p) = by_name.get(row.name())
            && let Some(n) = nodes.get_mut(p)
        {
            n.index = t.index.clone();
        }
    }

    let mut notifications = Vec::new();
    for n in &raw {
        if n.kind() != Kind::Notification {
            continue;
        }
        let Some(notif) = n.notification() else {
            continue;
        };
        let objects = notif
            .objects()
            .filter_map(|o| Some((o.name().to_string(), o.node()?.oid()[..].to_vec())))
            .collect();
        notifications.push(NotifM {
            name: n.name().to_string(),
            oid: n.oid()[..].to_vec(),
            objects,
            summary: summary(notif.description()),
        });
    }

    // Rust names must not collide.
    let mut seen = HashSet::new();
    let type_names = enums
        .keys()
        .cloned()
        .chain(groups.values().map(|g| g.trait_name.clone()))
        .chain(tables.iter().flat_map(|t| {
            [
                t.trait_name.clone(),
                t.row_struct.clone(),
                t.index_alias.clone(),
            ]
        }));
    for name in type_names {
        if ["Handlers", "Node", "Value", "Oid"].contains(&name.as_str())
            || !seen.insert(name.clone())
        {
            cx.fail(None, format!("two definitions map to the Rust name {name}"));
        }
    }

    if !cx.problems.is_empty() {
        return Err(Error {
            problems: cx.problems,
        });
    }
    let mut groups: Vec<GroupM> = groups.into_values().collect();
    for g in &mut groups {
        g.objects
            .sort_by(|a, b| nodes[a.node].oid.cmp(&nodes[b.node].oid));
    }
    groups.sort_by(|a, b| {
        let first = |g: &GroupM| g.objects.first().map(|o| nodes[o.node].oid.clone());
        first(a).cmp(&first(b))
    });
    Ok(ModuleM {
        name: module.name().to_string(),
        rust_name: module_ident(module.name()),
        file: file_name,
        identity: module.oid().map(|o| o.to_vec()),
        descr: summary(module.description()),
        nodes,
        enums: enums.into_values().collect(),
        groups,
        tables,
        notifications,
    })
}

fn rust_ty(cx: &mut Ctx<'_>, obj: mib_rs::Object<'_>, n: &NodeM) -> Option<RustTy> {
    Some(match n.syntax {
        "Integer32" if is_truth_value(obj) => RustTy::Bool,
        "Integer32" if !n.enums.is_empty() => RustTy::Enum(enum_name(obj)),
        "Integer32" => RustTy::I32,
        "Unsigned32" | "Gauge32" | "Counter32" | "TimeTicks" => RustTy::U32,
        "Counter64" => RustTy::U64,
        "IpAddress" => RustTy::Ip,
        "ObjectIdentifier" => RustTy::Oid,
        "OctetString" | "Bits" | "Opaque" => {
            let max = n
                .sizes
                .iter()
                .map(|&(_, hi)| u64::from(hi))
                .max()
                .unwrap_or(MAX_STRING);
            if n.sizes.iter().all(|&(lo, _)| u64::from(lo) > MAX_STRING) && !n.sizes.is_empty() {
                cx.fail(
                    obj.range(),
                    format!(
                        "{}: strings longer than {MAX_STRING} octets are not supported",
                        obj.name()
                    ),
                );
                return None;
            }
            RustTy::Str(max.min(MAX_STRING) as usize)
        }
        other => {
            cx.fail(
                obj.range(),
                format!("{}: unsupported syntax {other}", obj.name()),
            );
            return None;
        }
    })
}

type ObjOf<'f> = dyn Fn(&mut Ctx<'_>, mib_rs::Object<'_>, &BTreeMap<String, usize>, &[NodeM]) -> Option<ObjM>
    + 'f;

fn table(
    cx: &mut Ctx<'_>,
    obj: mib_rs::Object<'_>,
    by_name: &BTreeMap<String, usize>,
    nodes: &[NodeM],
    obj_of: &ObjOf<'_>,
) -> Option<TableM> {
    let Some(row) = obj.row() else {
        cx.fail(obj.range(), format!("table {} has no row", obj.name()));
        return None;
    };
    let mut index = Vec::new();
    let parts: Vec<_> = row.effective_indexes().collect();
    if parts.is_empty() {
        cx.fail(row.range(), format!("row {} has no INDEX", row.name()));
        return None;
    }
    for (k, ix) in parts.iter().enumerate() {
        let Some(io) = ix.object() else {
            cx.fail(
                row.range(),
                format!("{}: INDEX object {} is not defined", row.name(), ix.name()),
            );
            return None;
        };
        let base = io.ty().map(|t| t.effective_base()).unwrap_or_default();
        let Some(syntax) = syntax_name(base) else {
            cx.fail(
                io.range(),
                format!("{}: unsupported INDEX syntax {base}", io.name()),
            );
            return None;
        };
        let implied = ix.implied();
        let last = k + 1 == parts.len();
        let cap = sizes(io.effective_sizes())
            .iter()
            .map(|&(_, hi)| u64::from(hi))
            .max()
            .unwrap_or(MAX_STRING)
            .min(MAX_STRING) as usize;
        let (rust, ty, fixed_len) = match (ix.encoding(), base) {
            (IndexEncoding::Integer, BaseType::Integer32) => ("i32".to_string(), RustTy::I32, None),
            (IndexEncoding::Integer, _) => ("u32".to_string(), RustTy::U32, None),
            (IndexEncoding::IpAddress, _) => ("[u8; 4]".to_string(), RustTy::Ip, None),
            (IndexEncoding::FixedString, _) => {
                let (n, _) = ix.fixed_size();
                (format!("[u8; {n}]"), RustTy::Str(n), u32::try_from(n).ok())
            }
            (IndexEncoding::Implied, BaseType::OctetString) if last => {
                (format!("rt::ImpliedString<{cap}>"), RustTy::Str(cap), None)
            }
            (IndexEncoding::LengthPrefixed, BaseType::OctetString) => {
                (format!("rt::IndexString<{cap}>"), RustTy::Str(cap), None)
            }
            (enc, _) => {
                cx.fail(
                    io.range(),
                    format!(
                        "{}: INDEX {} with {enc} encoding of {base} is not supported",
                        row.name(),
                        io.name()
                    ),
                );
                return None;
            }
        };
        index.push(IndexPartM {
            name: io.name().to_string(),
            syntax,
            fixed_len,
            implied,
            rust,
            ty,
        });
    }
    let mut columns = Vec::new();
    for c in obj.columns() {
        if !matches!(
            access_name(c.access()),
            "ReadOnly" | "ReadWrite" | "ReadCreate"
        ) {
            continue;
        }
        let o = obj_of(cx, c, by_name, nodes)?;
        let index_pos = index.iter().position(|p| p.name == c.name());
        columns.push(ColM { obj: o, index_pos });
    }
    let base = obj.name().strip_suffix("Table").unwrap_or(obj.name());
    Some(TableM {
        table: obj.name().to_string(),
        trait_name: camel(obj.name()),
        prefix: snake(base).trim_end_matches('_').to_string(),
        row_struct: camel(row.name()),
        index_alias: format!("{}Index", camel(row.name())),
        index,
        columns,
        summary: summary(obj.description()),
    })
}

/// `PETREL_TEMPERATURE` for a node's OID constant.
pub(crate) fn const_name(name: &str) -> String {
    screaming(name)
}
