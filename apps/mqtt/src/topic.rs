//! Topic names, topic filters and wildcard matching (MQTT 3.1.1 section 4.7,
//! MQTT 5 section 4.7 and 4.8.2 for shared subscriptions).

/// Whether `topic` is a valid topic name for PUBLISH: non-empty, at most
/// 65 535 bytes, no `+`, `#` or U+0000.
///
/// (MQTT 5 allows an empty topic name with a topic alias; the codec checks that
/// case itself.)
pub fn is_valid_topic_name(topic: &str) -> bool {
    !topic.is_empty()
        && topic.len() <= usize::from(u16::MAX)
        && !topic.bytes().any(|b| b == b'+' || b == b'#' || b == 0)
}

/// Whether `filter` is a valid topic filter for SUBSCRIBE/UNSUBSCRIBE.
///
/// `+` must fill a whole level, `#` must be the whole last level, and a shared
/// subscription `$share/{name}/{filter}` needs a non-empty name without
/// wildcards and a valid filter after it.
pub fn is_valid_topic_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.len() > usize::from(u16::MAX) || filter.as_bytes().contains(&0) {
        return false;
    }
    let filter = match shared_remainder(filter) {
        Some(Some(rest)) => rest,
        Some(None) => return false,
        None => filter,
    };
    // `+` and `#` must each fill a whole level; `#` must also end the filter.
    let mut prev = b'/';
    let mut bytes = filter.bytes().peekable();
    // One byte per iteration: bounded by the length.
    while let Some(c) = bytes.next() {
        if c == b'+' || c == b'#' {
            let next = bytes.peek().copied();
            if prev != b'/' || (next.is_some() && (c == b'#' || next != Some(b'/'))) {
                return false;
            }
        }
        prev = c;
    }
    // `$share/{name}/` with nothing after it is invalid.
    !filter.is_empty()
}

/// For `$share/{name}/{rest}`: `Some(Some(rest))` if the share name is valid,
/// `Some(None)` if it is not; `None` for a filter that is not shared.
fn shared_remainder(filter: &str) -> Option<Option<&str>> {
    let rest = filter.strip_prefix("$share/")?;
    let Some((name, rest)) = rest.split_once('/') else {
        return Some(None);
    };
    if name.is_empty() || name.bytes().any(|c| c == b'+' || c == b'#') {
        return Some(None);
    }
    Some(Some(rest))
}

/// Whether the topic name `topic` matches the topic filter `filter`.
///
/// Follows MQTT section 4.7: `+` matches exactly one level (which may be
/// empty), `#` matches the parent level and any number of child levels, and
/// topics starting with `$` are not matched by a filter starting with a
/// wildcard. A shared subscription filter matches like the filter after its
/// share name. Invalid filters or topic names match nothing.
///
/// ```
/// use petrel_mqtt::topic_matches;
/// assert!(topic_matches("sport/+/player1", "sport/tennis/player1"));
/// assert!(topic_matches("sport/#", "sport"));
/// assert!(!topic_matches("#", "$SYS/uptime"));
/// assert!(topic_matches("$SYS/#", "$SYS/uptime"));
/// ```
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    if !is_valid_topic_filter(filter) || !is_valid_topic_name(topic) {
        return false;
    }
    let filter = match shared_remainder(filter) {
        Some(Some(rest)) => rest,
        Some(None) => return false,
        None => filter,
    };
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    // Each iteration consumes one level of the filter, so the loop is bounded
    // by the filter's length.
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(fl), Some(tl)) if fl == tl => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        for ok in [
            "#",
            "+",
            "a/b",
            "a/+/c",
            "a/#",
            "+/+",
            "/",
            "a//b",
            "$share/g/a/#",
            "$SYS/#",
        ] {
            assert!(is_valid_topic_filter(ok), "{ok}");
        }
        for bad in [
            "",
            "a/#/b",
            "a#",
            "a/b#",
            "a+/b",
            "a/+b",
            "#/",
            "$share/g",
            "$share//a",
            "$share/+/a",
            "a\0b",
        ] {
            assert!(!is_valid_topic_filter(bad), "{bad}");
        }
    }

    /// The level-by-level definition the byte scan must agree with.
    fn reference(filter: &str) -> bool {
        if filter.is_empty() || filter.as_bytes().contains(&0) {
            return false;
        }
        let filter = match shared_remainder(filter) {
            Some(Some(rest)) => rest,
            Some(None) => return false,
            None => filter,
        };
        if filter.is_empty() {
            return false;
        }
        let levels: Vec<&str> = filter.split('/').collect();
        levels.iter().enumerate().all(|(i, l)| {
            (!l.contains('#') || (*l == "#" && i == levels.len() - 1))
                && (!l.contains('+') || *l == "+")
        })
    }

    #[test]
    fn filters_agree_with_the_level_definition() {
        let alphabet = ["a", "/", "+", "#"];
        let mut all = vec![String::new()];
        for _ in 0..6 {
            let longer: Vec<String> = all
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(longer);
            all.sort();
            all.dedup();
        }
        for f in &all {
            for prefix in ["", "$share/g/", "$share/", "$SYS/"] {
                let f = format!("{prefix}{f}");
                assert_eq!(is_valid_topic_filter(&f), reference(&f), "{f:?}");
            }
        }
    }

    #[test]
    fn names() {
        assert!(is_valid_topic_name("a/b"));
        assert!(is_valid_topic_name("/"));
        assert!(!is_valid_topic_name(""));
        assert!(!is_valid_topic_name("a/+"));
        assert!(!is_valid_topic_name("a/#"));
    }

    #[test]
    fn matching_examples_from_spec_4_7() {
        // Examples from MQTT 3.1.1 section 4.7.1.2 / 4.7.1.3 / 4.7.2.
        assert!(topic_matches(
            "sport/tennis/player1/#",
            "sport/tennis/player1"
        ));
        assert!(topic_matches(
            "sport/tennis/player1/#",
            "sport/tennis/player1/ranking"
        ));
        assert!(topic_matches(
            "sport/tennis/player1/#",
            "sport/tennis/player1/score/wimbledon"
        ));
        assert!(topic_matches("sport/#", "sport"));
        assert!(topic_matches("sport/tennis/+", "sport/tennis/player1"));
        assert!(!topic_matches(
            "sport/tennis/+",
            "sport/tennis/player1/ranking"
        ));
        assert!(!topic_matches("sport/+", "sport"));
        assert!(topic_matches("sport/+", "sport/"));
        assert!(topic_matches("+/+", "/finance"));
        assert!(topic_matches("/+", "/finance"));
        assert!(!topic_matches("+", "/finance"));
        assert!(!topic_matches("#", "$SYS/x"));
        assert!(!topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(topic_matches("$SYS/#", "$SYS/monitor/Clients"));
        assert!(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
        assert!(topic_matches("#", "a/b/c"));
        assert!(topic_matches("a/b", "a/b"));
        assert!(!topic_matches("a/b", "a/b/c"));
        assert!(!topic_matches("a/b/c", "a/b"));
        assert!(!topic_matches("A/b", "a/b"));
        assert!(topic_matches("$share/grp/a/+", "a/x"));
        assert!(!topic_matches("a/#/b", "a/x/b"));
        assert!(!topic_matches("a/+", "a/+"));
    }
}
