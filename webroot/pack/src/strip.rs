//! Whitespace stripping for JavaScript: indentation, blank lines and
//! whole-line `//` comments go; every line break stays, so automatic
//! semicolon insertion reads the code as before.
//!
//! A line's leading whitespace and a line that is only a `//` comment can
//! be content only inside a template literal or a string continued with a
//! backslash; a file with either (a backtick anywhere, a line ending in
//! `\`) is left as it is.

/// `body` without indentation, blank lines and whole-line `//` comments,
/// or `None` when the file is left as it is (see the module docs) or
/// nothing would change.
///
/// ```
/// let js = b"// counter\nfunction f() {\n    return 1;\n\n}\n";
/// let out = petrel_webroot_pack::strip_js(js).unwrap();
/// assert_eq!(out, b"function f() {\nreturn 1;\n}\n");
/// assert_eq!(petrel_webroot_pack::strip_js(b"let s = `a\n  b`;\n"), None);
/// ```
pub fn strip_js(body: &[u8]) -> Option<Vec<u8>> {
    if body.contains(&b'`') {
        return None;
    }
    let mut out = Vec::with_capacity(body.len());
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.ends_with(b"\\") {
            return None;
        }
        let start = line
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(line.len());
        let code = line.get(start..).unwrap_or_default();
        if code.is_empty() || code.starts_with(b"//") {
            continue;
        }
        out.extend_from_slice(code);
        out.push(b'\n');
    }
    (out.len() < body.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::strip_js;

    #[test]
    fn indentation_blank_lines_and_comment_lines_go() {
        let js =
            b"// head\r\n\r\n  if (a) {\r\n\t\tb(); // keep\r\n  }\r\n/* x\r\n   // y\r\n*/\r\n";
        assert_eq!(
            strip_js(js).unwrap(),
            b"if (a) {\nb(); // keep\n}\n/* x\n*/\n"
        );
    }

    #[test]
    fn strings_regexes_and_line_breaks_are_kept() {
        // `//` inside a string or after code stays; so does every break
        // between statements (ASI).
        let js = b"const u = 'http://x'\n    let r = /a\\/b/\nreturn\n    1\n";
        assert_eq!(
            strip_js(js).unwrap(),
            b"const u = 'http://x'\nlet r = /a\\/b/\nreturn\n1\n"
        );
    }

    #[test]
    fn template_literals_and_continued_strings_leave_the_file_alone() {
        assert_eq!(strip_js(b"  a = `x\n  y`\n"), None);
        assert_eq!(strip_js(b"  a = 'x\\\n  y'\n"), None);
        assert_eq!(strip_js(b"a();\n"), None);
    }
}
