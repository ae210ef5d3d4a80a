//! A no-heap router: method + path pattern with `{param}` segments (and a
//! trailing `{*rest}`), and Basic-auth helpers.
//!
//! Routes are a plain slice, so a table can be a `static`. Path parameters
//! are not copied anywhere: [`Params`] re-matches the pattern when asked.
//!
//! ```
//! use petrel_httpd::router::{find, Found, Route};
//! use petrel_httpd::request::{Method, MethodSet};
//!
//! #[derive(Copy, Clone, Debug, PartialEq)]
//! enum Api { Led, Files }
//! static ROUTES: [Route<Api>; 2] = [
//!     Route::new(MethodSet::GET.with(Method::Put), "/api/led/{n}", Api::Led),
//!     Route::new(MethodSet::GET, "/files/{*path}", Api::Files),
//! ];
//! match find(&ROUTES, Method::Put, "/api/led/3") {
//!     Found::Route(r, params) => {
//!         assert_eq!(r.id, Api::Led);
//!         assert_eq!(params.get("n"), Some("3"));
//!     }
//!     _ => unreachable!(),
//! }
//! assert!(matches!(find(&ROUTES, Method::Post, "/api/led/3"), Found::MethodNotAllowed(_)));
//! assert!(matches!(find(&ROUTES, Method::Get, "/files/a/b"), Found::Route(..)));
//! ```

use crate::request::{Method, MethodSet};

/// One route.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Route<R: Copy> {
    /// Methods it takes (GET implies HEAD: include both via
    /// [`MethodSet::GET`]).
    pub methods: MethodSet,
    /// `/a/{param}/b` or `/a/{*rest}` (the rest of the path, possibly empty).
    pub pattern: &'static str,
    /// What the handler dispatches on.
    pub id: R,
    /// Whether Basic auth is required (the handler's `authorize` decides).
    pub auth: bool,
}

impl<R: Copy> Route<R> {
    /// A route without authentication.
    pub const fn new(methods: MethodSet, pattern: &'static str, id: R) -> Self {
        Route {
            methods,
            pattern,
            id,
            auth: false,
        }
    }
    /// The same route, requiring Basic auth.
    pub const fn with_auth(self) -> Self {
        Route { auth: true, ..self }
    }
}

/// Path parameters of a matched route.
#[derive(Copy, Clone, Debug)]
pub struct Params<'a> {
    pattern: &'static str,
    path: &'a str,
}

impl<'a> Params<'a> {
    /// The parameters of no route (every lookup is `None`).
    pub fn empty() -> Self {
        Params {
            pattern: "",
            path: "",
        }
    }

    /// The value of `{name}` (or `{*name}`).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let mut found = None;
        match_pattern(self.pattern, self.path, &mut |n, v| {
            if n == name && found.is_none() {
                found = Some(v);
            }
        });
        found
    }
}

/// Matches `path` against `pattern`, reporting each parameter.
fn match_pattern<'a>(
    pattern: &str,
    path: &'a str,
    on_param: &mut dyn FnMut(&str, &'a str),
) -> bool {
    // Fast path (every request tries every route): the text before the
    // first parameter must start the path, and a pattern without
    // parameters matches only itself.
    match pattern.find('{') {
        None => return pattern == path,
        Some(i) if !path.starts_with(pattern.get(..i).unwrap_or(pattern)) => return false,
        Some(_) => {}
    }
    let mut rest = Some(path);
    for p in pattern.split('/') {
        let Some(r) = rest else { return false };
        if let Some(name) = p.strip_prefix("{*").and_then(|s| s.strip_suffix('}')) {
            on_param(name, r);
            return true;
        }
        let (seg, tail) = match r.split_once('/') {
            Some((s, t)) => (s, Some(t)),
            None => (r, None),
        };
        if let Some(name) = p.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if seg.is_empty() {
                return false;
            }
            on_param(name, seg);
        } else if p != seg {
            return false;
        }
        rest = tail;
    }
    rest.is_none()
}

/// The outcome of [`find`].
#[derive(Debug)]
pub enum Found<'r, 'a, R: Copy> {
    /// A route matched path and method.
    Route(&'r Route<R>, Params<'a>),
    /// Routes matched the path, none the method: 405 with these in `Allow`.
    MethodNotAllowed(MethodSet),
    /// No route matched the path.
    NotFound,
}

/// Finds the first route matching `method` and `path`. HEAD matches routes
/// that take GET.
pub fn find<'r, 'a, R: Copy>(
    routes: &'r [Route<R>],
    method: Method,
    path: &'a str,
) -> Found<'r, 'a, R> {
    let mut allowed = MethodSet::NONE;
    for r in routes {
        if !match_pattern(r.pattern, path, &mut |_, _| {}) {
            continue;
        }
        let ok = r.methods.contains(method)
            || (method == Method::Head && r.methods.contains(Method::Get));
        if ok {
            return Found::Route(
                r,
                Params {
                    pattern: r.pattern,
                    path,
                },
            );
        }
        allowed = allowed.union(r.methods);
    }
    if allowed == MethodSet::NONE {
        Found::NotFound
    } else {
        if allowed.contains(Method::Get) {
            allowed = allowed.with(Method::Head);
        }
        Found::MethodNotAllowed(allowed.with(Method::Options))
    }
}

/// Decodes `Authorization: Basic …` into `(user, password)`, using `buf`
/// for the decoded bytes.
pub fn basic_credentials<'b>(header: &str, buf: &'b mut [u8]) -> Option<(&'b str, &'b str)> {
    let (scheme, b64) = header.trim_ascii().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let n = crate::base64::decode(b64.trim_ascii().as_bytes(), buf)?;
    let s = core::str::from_utf8(buf.get(..n)?).ok()?;
    s.split_once(':')
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let m = |p: &str, path: &str| match_pattern(p, path, &mut |_, _| {});
        assert!(m("/", "/"));
        assert!(m("/a/{x}", "/a/1"));
        assert!(!m("/a/{x}", "/a/"));
        assert!(!m("/a/{x}", "/a/1/2"));
        assert!(!m("/a", "/a/"));
        assert!(!m("/a", "/ab"));
        assert!(m("/a/{*r}", "/a/"));
        assert!(m("/a/{*r}", "/a/x/y"));
        assert!(!m("/a/{x}/b", "/a/1/c"));
        let p = Params {
            pattern: "/u/{id}/f/{*rest}",
            path: "/u/7/f/x/y.txt",
        };
        assert_eq!(p.get("id"), Some("7"));
        assert_eq!(p.get("rest"), Some("x/y.txt"));
        assert_eq!(p.get("nope"), None);
    }

    #[test]
    fn allow_lists_methods() {
        static R: [Route<u8>; 2] = [
            Route::new(MethodSet::GET, "/s", 0),
            Route::new(MethodSet::POST, "/s", 1),
        ];
        assert!(matches!(find(&R, Method::Head, "/s"), Found::Route(r, _) if r.id == 0));
        match find(&R, Method::Delete, "/s") {
            Found::MethodNotAllowed(m) => {
                let v: Vec<_> = m.iter().collect();
                assert_eq!(
                    v,
                    [Method::Get, Method::Head, Method::Post, Method::Options]
                );
            }
            _ => panic!(),
        }
        assert!(matches!(find(&R, Method::Get, "/t"), Found::NotFound));
    }

    #[test]
    fn basic_auth() {
        let mut b = [0u8; 64];
        assert_eq!(
            basic_credentials("Basic YWRtaW46c2VjcmV0", &mut b),
            Some(("admin", "secret"))
        );
        assert_eq!(basic_credentials("Bearer xyz", &mut b), None);
        assert_eq!(basic_credentials("Basic !!!!", &mut b), None);
        assert!(constant_time_eq(b"ab", b"ab") && !constant_time_eq(b"ab", b"ac"));
    }
}
