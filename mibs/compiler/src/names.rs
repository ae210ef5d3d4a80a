//! SMI descriptors to Rust identifiers.

/// Words Rust reserves; an identifier equal to one gets a trailing `_`.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe",
    "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// `ifHCInOctets` → `if_hc_in_octets`, `PETREL-MIB` → `petrel_mib`.
pub(crate) fn snake(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == '_' {
            if !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars.get(i - 1).copied().unwrap_or('_');
            let next = chars.get(i + 1).copied().unwrap_or('_');
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next.is_ascii_lowercase());
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    keyword_safe(out)
}

/// `SNMPv2-MIB` → `snmpv2_mib` (module names: lower-cased, `-` → `_`).
pub(crate) fn module_ident(s: &str) -> String {
    let m: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    keyword_safe(m)
}

/// `petrelLed` → `PetrelLed`, `ethernet-csmacd` → `EthernetCsmacd`.
pub(crate) fn camel(s: &str) -> String {
    let mut out = String::new();
    for part in s.split(['-', '_']).filter(|p| !p.is_empty()) {
        let mut cs = part.chars();
        if let Some(f) = cs.next() {
            out.push(f.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'N');
    }
    if out == "Self" {
        out.push('_');
    }
    out
}

/// `petrelTemperature` → `PETREL_TEMPERATURE`.
pub(crate) fn screaming(s: &str) -> String {
    let s = snake(s);
    s.trim_end_matches('_').to_ascii_uppercase()
}

fn keyword_safe(s: String) -> String {
    if KEYWORDS.contains(&s.as_str()) || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{s}_")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(snake("ifHCInOctets"), "if_hc_in_octets");
        assert_eq!(snake("petrelTemperature"), "petrel_temperature");
        assert_eq!(module_ident("PETREL-MIB"), "petrel_mib");
        assert_eq!(module_ident("SNMPv2-MIB"), "snmpv2_mib");
        assert_eq!(snake("ipv6IfIndex"), "ipv6_if_index");
        assert_eq!(snake("type"), "type_");
        assert_eq!(camel("petrelLed"), "PetrelLed");
        assert_eq!(camel("ethernet-csmacd"), "EthernetCsmacd");
        assert_eq!(camel("true"), "True");
        assert_eq!(
            screaming("petrelTemperatureAlarm"),
            "PETREL_TEMPERATURE_ALARM"
        );
    }
}
