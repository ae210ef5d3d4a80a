//! Finding the dotted key path ("echo.tcp") at a byte offset of a TOML
//! document, so a deserialisation error can name the field.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The dotted path of the deepest key whose key or value spans `pos`, or
/// `None` if the text does not parse or no key is there.
pub(crate) fn key_path_at(text: &str, pos: usize) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    walk(root.get_ref(), pos, &mut path);
    (!path.is_empty()).then(|| path.join("."))
}

fn contains<T>(s: &Spanned<T>, pos: usize) -> bool {
    s.span().contains(&pos)
}

/// Descends into the entry of `table` that covers `pos`. A `[section]`
/// table's value span may cover only its header, so when no entry covers
/// `pos`, the last section that starts before `pos` is searched.
fn walk(table: &DeTable<'_>, pos: usize, path: &mut Vec<String>) {
    let hit = table
        .iter()
        .find(|(k, v)| contains(k, pos) || contains(v, pos))
        .or_else(|| {
            table
                .iter()
                .filter(|(k, v)| matches!(v.get_ref(), DeValue::Table(_)) && k.span().start <= pos)
                .max_by_key(|(k, _)| k.span().start)
        });
    if let Some((key, value)) = hit {
        path.push(key.get_ref().to_string());
        if let DeValue::Table(inner) = value.get_ref() {
            walk(inner, pos, path);
        }
    }
}
