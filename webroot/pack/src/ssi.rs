//! Finding SSI tags at build time.
//!
//! Two forms are recognised, anywhere in an SSI file:
//!
//! - `<!--#name-->` and `<!--#name arg-->` (HTML comments),
//! - `/*#name*/` and `/*#name arg*/` (C comments, for JSON, JS and CSS).
//!
//! A tag is the opener (`<!--#` or `/*#`), a name of one or more ASCII
//! letters, digits, `_`, `-`, `.` or `:` directly after the `#`, then either
//! the closer (`-->` or `*/`) or whitespace, an argument, and the closer.
//! The argument is everything up to the first closer, trimmed; it must be
//! UTF-8 and must not contain the opener of another comment of the same form
//! (`<!--` or `/*`). Anything else — a missing name, a space after `#`, no
//! closer before the end of the file, a new comment before the closer — is
//! not a tag and is sent as it is. There is no limit on name or argument
//! length.

/// One tag found in a file: byte range and parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Offset of the tag's first byte (`<` or `/`).
    pub start: usize,
    /// Offset one past the tag's last byte.
    pub end: usize,
    /// The name after `#`.
    pub name: String,
    /// The trimmed argument, empty when there is none.
    pub arg: String,
}

struct Form {
    open: &'static [u8],
    close: &'static [u8],
    comment: &'static [u8],
}

const FORMS: [Form; 2] = [
    Form {
        open: b"<!--#",
        close: b"-->",
        comment: b"<!--",
    },
    Form {
        open: b"/*#",
        close: b"*/",
        comment: b"/*",
    },
];

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':')
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every tag in `body`, in order, not overlapping.
///
/// ```
/// let tags = petrel_webroot_pack::find_tags(b"<p><!--#uptime--></p>/*#led 2*/");
/// assert_eq!((tags[0].start, tags[0].end, tags[0].name.as_str()), (3, 17, "uptime"));
/// assert_eq!((tags[1].name.as_str(), tags[1].arg.as_str()), ("led", "2"));
/// ```
pub fn find_tags(body: &[u8]) -> Vec<Tag> {
    let mut tags = Vec::new();
    let mut at = 0;
    while let Some(rest) = body.get(at..) {
        // The earliest opener of either form.
        let next = FORMS
            .iter()
            .filter_map(|f| find(rest, f.open).map(|p| (at + p, f)))
            .min_by_key(|(p, _)| *p);
        let Some((start, form)) = next else { break };
        match parse_at(body, start, form) {
            Some(tag) => {
                at = tag.end;
                tags.push(tag);
            }
            None => at = start + 1,
        }
    }
    tags
}

/// The tag starting at `start` (where `form.open` is), if it is one.
fn parse_at(body: &[u8], start: usize, form: &Form) -> Option<Tag> {
    let name_start = start + form.open.len();
    let tail = body.get(name_start..)?;
    let name_len = tail
        .iter()
        .enumerate()
        .take_while(|&(i, &b)| is_name_byte(b) && !tail[i..].starts_with(form.close))
        .count();
    if name_len == 0 {
        return None;
    }
    let after = tail.get(name_len..)?;
    if !(after.starts_with(form.close) || after.first().is_some_and(u8::is_ascii_whitespace)) {
        return None;
    }
    let close = find(after, form.close)?;
    let arg = after.get(..close)?;
    if find(arg, form.comment).is_some() {
        return None;
    }
    let arg = std::str::from_utf8(arg).ok()?.trim();
    let name = std::str::from_utf8(tail.get(..name_len)?).ok()?;
    Some(Tag {
        start,
        end: name_start + name_len + close + form.close.len(),
        name: name.to_owned(),
        arg: arg.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(body: &str) -> Vec<(usize, usize, String, String)> {
        find_tags(body.as_bytes())
            .into_iter()
            .map(|t| {
                assert!(body[t.start..t.end].starts_with(['<', '/']));
                (t.start, t.end, t.name, t.arg)
            })
            .collect()
    }

    fn names(body: &str) -> Vec<String> {
        parts(body).into_iter().map(|p| p.2).collect()
    }

    #[test]
    fn both_forms_with_and_without_arguments() {
        let body = "a<!--#x-->b/*#y*/c<!--#z  1 2 -->d/*#w\targ*/";
        let p = parts(body);
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], (1, 10, "x".into(), "".into()));
        assert_eq!(&body[p[1].0..p[1].1], "/*#y*/");
        assert_eq!((p[2].2.as_str(), p[2].3.as_str()), ("z", "1 2"));
        assert_eq!(&body[p[2].0..p[2].1], "<!--#z  1 2 -->");
        assert_eq!((p[3].2.as_str(), p[3].3.as_str()), ("w", "arg"));
        assert_eq!(p[3].1, body.len());
    }

    #[test]
    fn adjacent_tags_and_tags_at_the_edges() {
        assert_eq!(names("<!--#a--><!--#b-->/*#c*/"), ["a", "b", "c"]);
        assert_eq!(parts("<!--#a-->")[0], (0, 9, "a".into(), "".into()));
    }

    #[test]
    fn long_names_and_arguments_have_no_limit() {
        let name = "n".repeat(300);
        let arg = "v".repeat(5000);
        let body = format!("<!--#{name} {arg}-->");
        let p = parts(&body);
        assert_eq!(
            (p[0].2.len(), p[0].3.len(), p[0].1),
            (300, 5000, body.len())
        );
    }

    #[test]
    fn dashes_dots_and_colons_in_names() {
        assert_eq!(names("<!--#a-b.c:d-->"), ["a-b.c:d"]);
        // The closer wins over a name dash.
        assert_eq!(parts("<!--#a-->")[0].2, "a");
        assert_eq!(names("<!--#a--->"), ["a-"]);
    }

    #[test]
    fn split_and_broken_tags_are_not_tags() {
        for body in [
            "<!--# a-->",     // space after '#'
            "<!--#-->",       // no name
            "/*#*/",          // no name
            "<!-#a-->",       // short opener
            "<!--#a- ->",     // broken closer
            "<!--#a-- >",     // broken closer
            "<!--#a",         // nothing after the name
            "<!--#a b",       // unterminated
            "<!--#a b -- >",  // unterminated
            "/*#a b * /",     // unterminated C form
            "<!--#a*/",       // the other form's closer
            "/*#a-->",        // the other form's closer
            "<!--#a\"x\"-->", // name followed by junk
            "<!--",
            "/*#",
            "",
        ] {
            assert!(find_tags(body.as_bytes()).is_empty(), "{body:?}");
        }
    }

    #[test]
    fn unterminated_tag_does_not_swallow_the_next_comment() {
        // `<!--#a` never closes before the next comment starts: not a tag,
        // and the real tag after it is still found.
        let body = "<!--#a oops <!-- note --> <!--#b-->";
        let p = parts(body);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].2, "b");
        assert_eq!(&body[p[0].0..p[0].1], "<!--#b-->");
        let body = "/*#a oops /* c */ /*#b 1*/";
        assert_eq!(names(body), ["b"]);
    }

    #[test]
    fn opener_inside_an_argument_of_the_other_form_is_part_of_it() {
        let p = parts("<!--#a x/*#b*/-->");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].3, "x/*#b*/");
    }

    #[test]
    fn argument_may_span_lines_and_contain_arrows() {
        let p = parts("<!--#a\n x->y\n-->");
        assert_eq!(p[0].3, "x->y");
    }

    #[test]
    fn non_utf8_around_tags_is_fine_but_not_inside() {
        let mut body = vec![0xff, 0xfe];
        body.extend_from_slice(b"<!--#a-->");
        body.push(0x80);
        let t = find_tags(&body);
        assert_eq!((t.len(), t[0].start, t[0].end), (1, 2, 11));
        assert!(find_tags(b"<!--#a \xff-->").is_empty());
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let mut x: u32 = 1;
        let alphabet = b"<!-#*/ a>\n\xff";
        for len in 0..200 {
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    alphabet[x as usize % alphabet.len()]
                })
                .collect();
            let tags = find_tags(&body);
            let mut last = 0;
            for t in tags {
                assert!(t.start >= last && t.end > t.start && t.end <= body.len());
                last = t.end;
            }
        }
    }
}
