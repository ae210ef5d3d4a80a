//! The Rust the compiler emits for one module.

use std::fmt::Write;

use crate::model::{ColM, ModuleM, NodeM, ObjM, RustTy, TableM, const_name};

/// A string literal (escaped as Rust's `Debug` does).
fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// A `#[doc]` attribute; MIB text is escaped so rustdoc reads no links
/// or HTML into it.
fn doc(out: &mut String, indent: &str, text: &str) {
    let text = text
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let _ = writeln!(out, "{indent}#[doc = {}]", lit(&text));
}

/// A match pattern for node positions: consecutive runs as ranges.
fn pattern(nums: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&start) = nums.get(i) {
        let mut end = start;
        while nums.get(i + 1) == Some(&(end + 1)) {
            end += 1;
            i += 1;
        }
        parts.push(if end > start {
            format!("{start}..={end}")
        } else {
            start.to_string()
        });
        i += 1;
    }
    parts.join(" | ")
}

fn arcs(oid: &[u32]) -> String {
    let parts: Vec<String> = oid.iter().map(u32::to_string).collect();
    format!("&[{}]", parts.join(", "))
}

/// The handler's Rust type for getters and row fields.
fn owned(ty: &RustTy) -> String {
    match ty {
        RustTy::I32 => "i32".into(),
        RustTy::U32 => "u32".into(),
        RustTy::U64 => "u64".into(),
        RustTy::Bool => "bool".into(),
        RustTy::Enum(n) => n.clone(),
        RustTy::Ip => "[u8; 4]".into(),
        RustTy::Str(n) => format!("rt::heapless::Vec<u8, {n}>"),
        RustTy::Oid => "Oid".into(),
    }
}

/// The setter's parameter type.
fn param(ty: &RustTy) -> String {
    match ty {
        RustTy::Str(_) => "&[u8]".into(),
        t => owned(t),
    }
}

/// An expression building a `Value` from `e` (of the handler type).
fn to_value(ty: &RustTy, syntax: &str, e: &str) -> String {
    match ty {
        RustTy::I32 => format!("Value::Integer({e})"),
        RustTy::U32 => match syntax {
            "Counter32" => format!("Value::Counter32({e})"),
            "TimeTicks" => format!("Value::TimeTicks({e})"),
            _ => format!("Value::Gauge32({e})"),
        },
        RustTy::U64 => format!("Value::Counter64({e})"),
        RustTy::Bool => format!("rt::truth_value({e})"),
        RustTy::Enum(_) => format!("Value::Integer({e}.value())"),
        RustTy::Ip => format!("Value::IpAddress({e})"),
        RustTy::Str(_) => format!("rt::string(scratch, &{e})"),
        RustTy::Oid => format!("Value::ObjectId({e})"),
    }
}

/// An expression converting `value` (already checked) to the setter type.
fn from_value(ty: &RustTy) -> String {
    match ty {
        RustTy::I32 => "rt::integer(value)?".into(),
        RustTy::U32 => "rt::unsigned(value)?".into(),
        RustTy::U64 => "rt::unsigned64(value)?".into(),
        RustTy::Bool => "rt::integer(value)? == 1".into(),
        RustTy::Enum(n) => {
            format!("{n}::from_value(rt::integer(value)?).ok_or(rt::SetError::WrongValue)?")
        }
        RustTy::Ip => "rt::ip_address(value)?".into(),
        RustTy::Str(_) => "rt::octets(value)?".into(),
        RustTy::Oid => "rt::object_id(value)?".into(),
    }
}

fn access_text(o: &ObjM) -> &'static str {
    if o.writable {
        "read-write"
    } else {
        "read-only"
    }
}

fn index_type(t: &TableM) -> String {
    match t.index.as_slice() {
        [one] => one.rust.clone(),
        many => {
            let parts: Vec<&str> = many.iter().map(|p| p.rust.as_str()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The expression for index component `k` of the decoded index `i`.
fn index_part(t: &TableM, k: usize) -> String {
    let base = if t.index.len() == 1 {
        "i".to_string()
    } else {
        format!("i.{k}")
    };
    match t.index.get(k) {
        Some(p) if p.rust.starts_with("rt::") => format!("{base}.0"),
        _ => base,
    }
}

/// Whether the engine serves instances of `n` (a readable scalar or column;
/// the same test as `rt::Node::is_leaf`).
fn is_served(n: &NodeM) -> bool {
    matches!(n.kind, "Scalar" | "Column")
        && matches!(n.access, "ReadOnly" | "ReadWrite" | "ReadCreate")
}

fn emit_node(out: &mut String, n: &NodeM, named: bool) {
    let name = |s: &str| if named { lit(s) } else { lit("") };
    let _ = write!(
        out,
        "    rt::Node {{ oid: {}, name: {}, kind: rt::NodeKind::{}, syntax: rt::Syntax::{}, access: rt::MaxAccess::{}, ",
        arcs(&n.oid),
        name(&n.name),
        n.kind,
        n.syntax,
        n.access
    );
    let ranges: Vec<String> = n
        .ranges
        .iter()
        .map(|(a, b)| format!("({a}, {b})"))
        .collect();
    let sizes: Vec<String> = n.sizes.iter().map(|(a, b)| format!("({a}, {b})")).collect();
    let enums: Vec<String> = n
        .enums
        .iter()
        .map(|(v, l)| format!("({v}, {})", name(l)))
        .collect();
    let index: Vec<String> = n
        .index
        .iter()
        .map(|p| {
            format!(
                "rt::IndexPart {{ name: {}, syntax: rt::Syntax::{}, fixed_len: {:?}, implied: {} }}",
                lit(&p.name),
                p.syntax,
                p.fixed_len,
                p.implied
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "ranges: &[{}], sizes: &[{}], enums: &[{}], display_string: {}, index: &[{}] }},",
        ranges.join(", "),
        sizes.join(", "),
        enums.join(", "),
        n.display_string,
        index.join(", ")
    );
}

pub(crate) fn emit(m: &ModuleM) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "// @generated by petrel-mibc from {} ({}). Do not edit: change the MIB and rebuild.\n",
        m.name, m.file
    );
    o.push_str("use ::petrel_snmp::compiled as rt;\nuse ::petrel_snmp::{Oid, Value};\n\n");
    doc(&mut o, "", "The SMI module name.");
    let _ = writeln!(o, "pub const MODULE_NAME: &str = {};\n", lit(&m.name));
    if let Some(id) = &m.identity {
        doc(
            &mut o,
            "",
            &format!("The OID of {}'s MODULE-IDENTITY: {}", m.name, m.descr),
        );
        let _ = writeln!(o, "pub const MODULE_OID: &[u32] = {};\n", arcs(id));
    }

    // OIDs.
    doc(
        &mut o,
        "",
        &format!("The OID of every node {} defines, by descriptor.", m.name),
    );
    o.push_str("pub mod oids {\n");
    for n in &m.nodes {
        let what = if n.descr.is_empty() {
            String::new()
        } else {
            format!(": {}", n.descr)
        };
        doc(&mut o, "    ", &format!("{} ({}){what}", n.name, n.kind));
        let _ = writeln!(
            o,
            "    pub const {}: &[u32] = {};",
            const_name(&n.name),
            arcs(&n.oid)
        );
    }
    for n in &m.notifications {
        doc(
            &mut o,
            "    ",
            &format!("The OBJECTS of {}, in order.", n.name),
        );
        let objs: Vec<String> = n.objects.iter().map(|(_, oid)| arcs(oid)).collect();
        let _ = writeln!(
            o,
            "    pub const {}_OBJECTS: &[&[u32]] = &[{}];",
            const_name(&n.name),
            objs.join(", ")
        );
    }
    o.push_str("}\n\n");

    // Nodes.
    doc(
        &mut o,
        "",
        &format!("Every node of {}, sorted by OID.", m.name),
    );
    o.push_str("pub static NODES: &[rt::Node] = &[\n");
    for n in &m.nodes {
        emit_node(&mut o, n, true);
    }
    o.push_str("];\n\n");
    // What the engine walks: only the nodes Get/GetNext/Set can reach, so
    // a firmware that never names NODES links just these. The engine
    // reads no names, so they are left empty here (NODES has them).
    o.push_str("static SERVED: &[rt::Node] = &[\n");
    // Value checks only ever run on a Set, so read-only nodes need none.
    for n in m.nodes.iter().filter(|n| is_served(n)) {
        if matches!(n.access, "ReadWrite" | "ReadCreate") {
            emit_node(&mut o, n, false);
        } else {
            let bare = NodeM {
                ranges: Vec::new(),
                sizes: Vec::new(),
                enums: Vec::new(),
                display_string: false,
                ..n.clone()
            };
            emit_node(&mut o, &bare, false);
        }
    }
    o.push_str("];\n\n");

    // Notifications.
    for n in &m.notifications {
        doc(
            &mut o,
            "",
            &format!("NOTIFICATION-TYPE {}: {}", n.name, n.summary),
        );
        let names: Vec<&str> = n.objects.iter().map(|(s, _)| s.as_str()).collect();
        doc(&mut o, "", &format!("Its OBJECTS: {}.", names.join(", ")));
        let _ = writeln!(
            o,
            "pub const {}: Oid = Oid::new({});\n",
            const_name(&n.name),
            arcs(&n.oid)
        );
    }

    // Enums.
    for e in &m.enums {
        doc(&mut o, "", &format!("{}: {}", e.name, e.descr));
        o.push_str(
            "#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[repr(i32)]\n",
        );
        let _ = writeln!(o, "pub enum {} {{", e.name);
        for (v, l, n) in &e.values {
            doc(&mut o, "    ", &format!("{l}({n})"));
            let _ = writeln!(o, "    {v} = {n},");
        }
        o.push_str("}\n\n");
        let _ = writeln!(o, "impl {} {{", e.name);
        doc(&mut o, "    ", "Every named number, ascending as declared.");
        let all: Vec<String> = e
            .values
            .iter()
            .map(|(v, _, _)| format!("Self::{v}"))
            .collect();
        let _ = writeln!(
            o,
            "    pub const ALL: &'static [Self] = &[{}];",
            all.join(", ")
        );
        doc(&mut o, "    ", "The number SNMP carries.");
        o.push_str("    pub const fn value(self) -> i32 {\n        self as i32\n    }\n");
        doc(&mut o, "    ", "The value named by `v`, if any.");
        o.push_str("    pub const fn from_value(v: i32) -> Option<Self> {\n        match v {\n");
        for (v, _, n) in &e.values {
            let _ = writeln!(o, "            {n} => Some(Self::{v}),");
        }
        o.push_str("            _ => None,\n        }\n    }\n");
        doc(&mut o, "    ", "The SMI label.");
        o.push_str("    pub const fn label(self) -> &'static str {\n        match self {\n");
        for (v, l, _) in &e.values {
            let _ = writeln!(o, "            Self::{v} => {},", lit(l));
        }
        o.push_str("        }\n    }\n}\n\n");
    }

    // Scalar groups.
    for g in &m.groups {
        doc(
            &mut o,
            "",
            &format!(
                "The scalars under `{}` in {}: the board implements one getter per object and a setter per writable one. Sets reach a setter only after the type, size, range and enumeration checks passed.",
                g.parent, m.name
            ),
        );
        let _ = writeln!(o, "pub trait {} {{", g.trait_name);
        for ob in &g.objects {
            doc(
                &mut o,
                "    ",
                &format!("{} ({}): {}", ob.name, access_text(ob), ob.summary),
            );
            let _ = writeln!(o, "    fn {}(&self) -> {};", ob.snake, owned(&ob.ty));
            if ob.writable {
                doc(
                    &mut o,
                    "    ",
                    &format!(
                        "Sets {} (commit phase; an error undoes the whole Set request).",
                        ob.name
                    ),
                );
                let _ = writeln!(
                    o,
                    "    fn set_{}(&mut self, v: {}) -> Result<(), rt::SetError>;",
                    ob.snake,
                    param(&ob.ty)
                );
                doc(
                    &mut o,
                    "    ",
                    &format!(
                        "Checks a Set of {} before anything is committed (default: accept).",
                        ob.name
                    ),
                );
                let _ = writeln!(
                    o,
                    "    fn test_{}(&self, v: {}) -> Result<(), rt::SetError> {{\n        let _ = v;\n        Ok(())\n    }}",
                    ob.snake,
                    param(&ob.ty)
                );
            }
        }
        o.push_str("}\n\n");
    }

    // Tables.
    for t in &m.tables {
        emit_table(&mut o, m, t);
    }

    emit_dispatch(&mut o, m);
    o
}

fn row_columns(t: &TableM) -> impl Iterator<Item = &ColM> {
    t.columns.iter().filter(|c| c.index_pos.is_none())
}

fn emit_table(o: &mut String, m: &ModuleM, t: &TableM) {
    let idx = index_type(t);
    let parts: Vec<&str> = t.index.iter().map(|p| p.name.as_str()).collect();
    doc(
        o,
        "",
        &format!("The INDEX of {}: {}.", t.table, parts.join(", ")),
    );
    let _ = writeln!(o, "pub type {} = {idx};\n", t.index_alias);
    doc(o, "", &format!("One row of {} ({}).", t.table, m.name));
    o.push_str("#[derive(Clone, Debug, PartialEq, Eq)]\n");
    let _ = writeln!(o, "pub struct {} {{", t.row_struct);
    for c in row_columns(t) {
        doc(o, "    ", &format!("{}: {}", c.obj.name, c.obj.summary));
        let _ = writeln!(o, "    pub {}: {},", c.obj.snake, owned(&c.obj.ty));
    }
    o.push_str("}\n\n");
    doc(
        o,
        "",
        &format!(
            "{}: {} Rows are visited in increasing index order, as a walk needs them.",
            t.table, t.summary
        ),
    );
    let _ = writeln!(o, "pub trait {} {{", t.trait_name);
    doc(
        o,
        "    ",
        "The row with the smallest index greater than `after` (the first row for `None`).",
    );
    let _ = writeln!(
        o,
        "    fn {}_next(&self, after: Option<&{}>) -> Option<({}, {})>;",
        t.prefix, t.index_alias, t.index_alias, t.row_struct
    );
    doc(
        o,
        "    ",
        "The row `index`, if it exists (default: a search with the `_next` method; override it when a lookup is cheaper).",
    );
    let _ = writeln!(
        o,
        "    fn {p}_entry(&self, index: &{a}) -> Option<{r}> {{\n        rt::find_row(index, |after| self.{p}_next(after))\n    }}",
        p = t.prefix,
        a = t.index_alias,
        r = t.row_struct
    );
    for c in row_columns(t).filter(|c| c.obj.writable) {
        doc(
            o,
            "    ",
            &format!("Sets {} in an existing row (commit phase).", c.obj.name),
        );
        let _ = writeln!(
            o,
            "    fn set_{}(&mut self, index: &{}, v: {}) -> Result<(), rt::SetError>;",
            c.obj.snake,
            t.index_alias,
            param(&c.obj.ty)
        );
        doc(
            o,
            "    ",
            &format!(
                "Checks a Set of {} before anything is committed (default: accept).",
                c.obj.name
            ),
        );
        let _ = writeln!(
            o,
            "    fn test_{}(&self, index: &{}, v: {}) -> Result<(), rt::SetError> {{\n        let _ = (index, v);\n        Ok(())\n    }}",
            c.obj.snake,
            t.index_alias,
            param(&c.obj.ty)
        );
    }
    o.push_str("}\n\n");
}

fn emit_dispatch(o: &mut String, m: &ModuleM) {
    let bounds: Vec<&str> = m
        .groups
        .iter()
        .map(|g| g.trait_name.as_str())
        .chain(m.tables.iter().map(|t| t.trait_name.as_str()))
        .collect();
    let where_clause = if bounds.is_empty() {
        String::new()
    } else {
        format!("\nwhere\n    T: {},", bounds.join(" + "))
    };
    doc(
        o,
        "",
        &format!(
            "The board's handlers as the agent sees them: wrap them with [`mib`]. `T` implements {}.",
            if bounds.is_empty() {
                "nothing".to_string()
            } else {
                bounds.join(", ")
            }
        ),
    );
    o.push_str("#[derive(Clone, Debug, Default)]\npub struct Handlers<T>(pub T);\n\n");
    doc(
        o,
        "",
        &format!(
            "{} over `handlers`, ready for the agent (mount it beside MIB-2 with `petrel_snmp::agent::Mount`).",
            m.name
        ),
    );
    let _ = writeln!(
        o,
        "pub fn mib<T>(handlers: T) -> rt::CompiledMib<Handlers<T>>{where_clause}\n{{\n    rt::CompiledMib::new(Handlers(handlers))\n}}\n"
    );
    let _ = writeln!(o, "impl<T> rt::Dispatch for Handlers<T>{where_clause}\n{{");
    o.push_str("    const NODES: &'static [rt::Node] = SERVED;\n\n");
    // Dispatch positions index SERVED (the readable scalars and columns).
    let served: Vec<usize> = m
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| is_served(n))
        .map(|(i, _)| i)
        .collect();
    let sp = |full: usize| served.iter().position(|&x| x == full);

    // read
    o.push_str("    fn read<'a>(&'a self, node: usize, index: &[u32], scratch: &'a mut [u8]) -> Option<Value<'a>> {\n        let _ = (index, &scratch);\n        match node {\n");
    for g in &m.groups {
        for ob in &g.objects {
            let Some(pos) = sp(ob.node) else { continue };
            let e = format!("self.0.{}()", ob.snake);
            let _ = writeln!(
                o,
                "            {} => Some({}),",
                pos,
                to_value(&ob.ty, ob.syntax, &e)
            );
        }
    }
    for t in &m.tables {
        for c in &t.columns {
            let Some(pos) = sp(c.obj.node) else { continue };
            let _ = writeln!(
                o,
                "            {} => {{\n                let i = <{} as rt::IndexValue>::decode_exact(index)?;",
                pos, t.index_alias
            );
            match c.index_pos {
                Some(k) => {
                    let _ = writeln!(
                        o,
                        "                self.0.{}_entry(&i)?;\n                Some({})\n            }}",
                        t.prefix,
                        to_value(&t.index[k].ty, c.obj.syntax, &index_part(t, k))
                    );
                }
                None => {
                    let _ = writeln!(
                        o,
                        "                let row = self.0.{}_entry(&i)?;\n                Some({})\n            }}",
                        t.prefix,
                        to_value(&c.obj.ty, c.obj.syntax, &format!("row.{}", c.obj.snake))
                    );
                }
            }
        }
    }
    o.push_str("            _ => None,\n        }\n    }\n\n");

    // next_index
    o.push_str("    fn next_index(&self, node: usize, after: Option<&[u32]>, out: &mut Oid) -> bool {\n        match node {\n");
    for t in &m.tables {
        let nodes: Vec<usize> = t.columns.iter().filter_map(|c| sp(c.obj.node)).collect();
        if nodes.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "            {} => rt::next_row::<{}, _>(after, |a| self.0.{}_next(a))\n                .is_some_and(|(i, _)| rt::IndexValue::encode(&i, out)),",
            pattern(&nodes),
            t.index_alias,
            t.prefix
        );
    }
    o.push_str("            _ => {\n                let _ = (after, out);\n                false\n            }\n        }\n    }\n\n");

    // test and write
    for (name, recv, default) in [
        ("test", "&self", "Ok(())"),
        ("write", "&mut self", "Err(rt::SetError::NotWritable)"),
    ] {
        let _ = writeln!(
            o,
            "    fn {name}({recv}, node: usize, index: &[u32], value: &Value<'_>) -> Result<(), rt::SetError> {{\n        let _ = (index, value);\n        match node {{"
        );
        let prefix = if name == "test" { "test_" } else { "set_" };
        for g in &m.groups {
            for ob in g.objects.iter().filter(|ob| ob.writable) {
                let Some(pos) = sp(ob.node) else { continue };
                let _ = writeln!(
                    o,
                    "            {} => self.0.{prefix}{}({}),",
                    pos,
                    ob.snake,
                    from_value(&ob.ty)
                );
            }
        }
        for t in &m.tables {
            for c in row_columns(t).filter(|c| c.obj.writable) {
                let Some(pos) = sp(c.obj.node) else { continue };
                let _ = writeln!(
                    o,
                    "            {} => {{\n                let i = <{} as rt::IndexValue>::decode_exact(index).ok_or(rt::SetError::NoCreation)?;\n                self.0.{prefix}{}(&i, {})\n            }}",
                    pos,
                    t.index_alias,
                    c.obj.snake,
                    from_value(&c.obj.ty)
                );
            }
        }
        let _ = writeln!(o, "            _ => {default},\n        }}\n    }}\n");
    }
    o.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert_eq!(pattern(&[1, 2, 3, 5, 7, 8]), "1..=3 | 5 | 7..=8");
        assert_eq!(pattern(&[4]), "4");
        assert_eq!(pattern(&[]), "");
    }
}
