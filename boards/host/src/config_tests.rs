//! Tests of configuration parsing and its error messages.

use super::*;

fn err(text: &str) -> String {
    Config::parse(text, "/x.toml").unwrap_err().to_string()
}

#[test]
fn empty_file_is_the_default() {
    assert_eq!(Config::parse("", "f").unwrap(), Config::default());
}

#[test]
fn defaults_are_loopback_and_unprivileged() {
    let c = Config::default();
    for a in [
        c.http.listen,
        c.https.listen,
        c.snmp.listen,
        c.tftp.listen,
        c.iperf.listen,
        c.echo.tcp,
        c.echo.udp,
    ] {
        assert!(a.ip().is_loopback(), "{a}");
        assert!(a.port() >= 1024, "{a}");
    }
    assert_eq!(c.echo.tcp.to_string(), "127.0.0.1:7007");
    assert_eq!(c.echo.max_connections, 16);
    assert!(!c.mqtt.enabled && !c.mdns.enabled && !c.netbios.enabled);
    assert_eq!(c.device.name, "petrel");
}

#[test]
fn default_config_round_trips() {
    let text = Config::default_toml().unwrap();
    assert!(text.contains("[echo]"), "{text}");
    assert_eq!(Config::parse(&text, "f").unwrap(), Config::default());
}

#[test]
fn partial_sections_keep_other_defaults() {
    let c = Config::parse(
        "[echo]\ntcp = \"127.0.0.1:17007\"\n[mqtt]\nenabled = true\n",
        "f",
    )
    .unwrap();
    assert_eq!(c.echo.tcp.port(), 17007);
    assert_eq!(c.echo.udp.port(), 7007);
    assert!(c.echo.enabled && c.mqtt.enabled);
}

#[test]
fn bad_address_names_the_field_and_line() {
    let e = err("[device]\nname = \"p\"\n\n[echo]\nenabled = true\ntcp = \"127.0.0.1\"\n");
    assert_eq!(
        e,
        "config /x.toml: echo.tcp: invalid socket address syntax (line 6)"
    );
}

#[test]
fn unknown_field_names_it() {
    let e = err("[echo]\ntcp = \"127.0.0.1:7\"\nbogus = 1\n");
    assert!(
        e.starts_with("config /x.toml: echo.bogus: unknown field `bogus`"),
        "{e}"
    );
    assert!(e.contains("line 3"), "{e}");
    let e = err("[nosuch]\nx = 1\n");
    assert!(e.contains("nosuch") && e.contains("unknown field"), "{e}");
    let e = err("top = 1\n");
    assert!(e.contains("top: unknown field"), "{e}");
}

#[test]
fn wrong_type_names_the_field() {
    let e = err("[mdns]\nenabled = \"yes\"\n");
    assert!(e.starts_with("config /x.toml: mdns.enabled: "), "{e}");
    let e = err("[echo]\nmax_connections = -1\n");
    assert!(
        e.starts_with("config /x.toml: echo.max_connections: "),
        "{e}"
    );
    let e = err("echo = 5\n");
    assert!(e.starts_with("config /x.toml: echo: "), "{e}");
}

#[test]
fn syntax_error_gives_the_line() {
    let e = err("[echo]\ntcp = \n");
    assert!(e.starts_with("config /x.toml: "), "{e}");
    assert!(e.contains("line 2"), "{e}");
    assert!(!e.contains('\n'), "{e}");
}

#[test]
fn validation_errors() {
    assert_eq!(
        err("[echo]\nudp = \"127.0.0.1:0\"\n"),
        "config /x.toml: echo.udp: port 0 is not allowed"
    );
    assert_eq!(
        err("[echo]\nmax_connections = 0\n"),
        "config /x.toml: echo.max_connections: must be at least 1"
    );
    assert_eq!(
        err("[device]\nname = \"\"\n"),
        "config /x.toml: device.name: must not be empty"
    );
}

#[test]
fn missing_file() {
    let e = Config::load(Path::new("/nonexistent/petrel.toml")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("config /nonexistent/petrel.toml: cannot read")
    );
}
