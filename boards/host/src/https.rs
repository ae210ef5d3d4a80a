//! The `[https]` service's TLS setup: the server certificate (configured PEM
//! files, or a self-signed one generated on first start and reused), the
//! optional client CA for mutual TLS, and the altcp TLS server config.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use log::info;
use petrel_altcp::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use petrel_altcp::tls::{self, ClientAuth, ConfigError, ServerConfig};
use sha2::Digest;

use crate::config::{ClientAuthMode, HttpsConfig};

/// File names of the generated certificate and key in the state directory.
pub(crate) const GENERATED_CERT: &str = "petrel-https-cert.pem";
/// See [`GENERATED_CERT`].
pub(crate) const GENERATED_KEY: &str = "petrel-https-key.pem";

/// Why the HTTPS service cannot get its TLS configuration.
#[derive(Debug)]
pub(crate) struct TlsSetupError {
    /// The file at fault.
    pub(crate) file: PathBuf,
    /// What is wrong with it.
    pub(crate) message: String,
    /// Whether the configuration is at fault (exit 2) rather than the
    /// machine (exit 1: cannot write the state directory).
    pub(crate) usage: bool,
}

impl fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "https: {}: {}", self.file.display(), self.message)
    }
}

impl std::error::Error for TlsSetupError {}

fn usage(file: &Path, message: impl Into<String>) -> TlsSetupError {
    TlsSetupError {
        file: file.to_path_buf(),
        message: message.into(),
        usage: true,
    }
}

fn read(file: &Path) -> Result<Vec<u8>, TlsSetupError> {
    std::fs::read(file).map_err(|e| usage(file, format!("cannot read: {e}")))
}

fn load_certs(file: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    tls::pem::certs(&read(file)?)
        .map_err(|_| usage(file, "no PEM CERTIFICATE found (or malformed PEM)"))
}

fn load_key(file: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    tls::pem::private_key(&read(file)?)
        .map_err(|_| usage(file, "no PEM private key found (or malformed PEM)"))
}

/// The SHA-256 fingerprint of a DER certificate, as `AB:CD:…` (openssl's form).
pub(crate) fn fingerprint(der: &[u8]) -> String {
    let digest = sha2::Sha256::digest(der);
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A path from the config, relative to the config file's directory.
fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Builds the server configuration for `cfg`. `base` is the directory of
/// the config file (relative paths and the generated certificate live
/// there); `device` names the generated certificate.
pub(crate) fn server_config(
    cfg: &HttpsConfig,
    base: &Path,
    device: &str,
) -> Result<ServerConfig, TlsSetupError> {
    let (cert_path, key_path) = match (&cfg.cert, &cfg.key) {
        (Some(c), Some(k)) => (resolve(base, c), resolve(base, k)),
        (Some(c), None) => return Err(usage(c, "https.cert is set but https.key is not")),
        (None, Some(k)) => return Err(usage(k, "https.key is set but https.cert is not")),
        (None, None) => ensure_self_signed(base, device, cfg.listen.ip())?,
    };
    let chain = load_certs(&cert_path)?;
    let key = load_key(&key_path)?;
    if let Some(leaf) = chain.first() {
        info!(
            "https certificate {} (SHA-256 {})",
            cert_path.display(),
            fingerprint(leaf)
        );
    }
    let auth = match &cfg.client_ca {
        None => ClientAuth::None,
        Some(ca) => {
            let ca = resolve(base, ca);
            let roots = tls::root_store(&load_certs(&ca)?)
                .map_err(|e| usage(&ca, format!("unusable CA certificate: {e}")))?;
            match cfg.client_auth {
                ClientAuthMode::Required => ClientAuth::Required(roots),
                ClientAuthMode::Optional => ClientAuth::Optional(roots),
            }
        }
    };
    ServerConfig::builder(tls::ring_provider())
        .cert_chain(chain, key)
        .client_auth(auth)
        .alpn(&[b"http/1.1"])
        .build()
        .map_err(|e| match e {
            ConfigError::BadPrivateKey | ConfigError::KeyMismatch => {
                usage(&key_path, e.to_string())
            }
            _ => usage(&cert_path, e.to_string()),
        })
}

/// The generated certificate's files, created on first start.
fn ensure_self_signed(
    base: &Path,
    device: &str,
    ip: IpAddr,
) -> Result<(PathBuf, PathBuf), TlsSetupError> {
    let cert_path = base.join(GENERATED_CERT);
    let key_path = base.join(GENERATED_KEY);
    if cert_path.exists() && key_path.exists() {
        info!(
            "https: reusing the self-signed certificate {}",
            cert_path.display()
        );
        return Ok((cert_path, key_path));
    }
    let fail = |file: &Path, message: String| TlsSetupError {
        file: file.to_path_buf(),
        message,
        usage: false,
    };
    std::fs::create_dir_all(base)
        .map_err(|e| fail(base, format!("cannot create directory: {e}")))?;
    let mut names = vec![device.to_string(), "localhost".to_string()];
    if !ip.is_unspecified() {
        names.push(ip.to_string());
    }
    names.dedup();
    let mut params = rcgen::CertificateParams::new(names.clone()).map_err(|e| {
        fail(
            &cert_path,
            format!("cannot build a certificate for {names:?}: {e}"),
        )
    })?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, device);
    let year = 1970
        + std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() / 31_556_952)
            .unwrap_or(55) as i32;
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 10, 1, 1);
    let key = rcgen::KeyPair::generate()
        .map_err(|e| fail(&key_path, format!("cannot generate a key: {e}")))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| fail(&cert_path, format!("cannot sign: {e}")))?;
    write_private(&key_path, key.serialize_pem().as_bytes())
        .map_err(|e| fail(&key_path, format!("cannot write: {e}")))?;
    std::fs::write(&cert_path, cert.pem())
        .map_err(|e| fail(&cert_path, format!("cannot write: {e}")))?;
    info!(
        "https: generated a self-signed certificate for {} in {}",
        names.join(", "),
        cert_path.display()
    );
    Ok((cert_path, key_path))
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("petrel-https-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn generates_once_then_reuses() {
        let dir = tempdir("gen");
        let cfg = HttpsConfig::default();
        server_config(&cfg, &dir, "dev1").unwrap();
        let first = std::fs::read(dir.join(GENERATED_CERT)).unwrap();
        server_config(&cfg, &dir, "dev1").unwrap();
        assert_eq!(std::fs::read(dir.join(GENERATED_CERT)).unwrap(), first);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_files_name_the_file() {
        let dir = tempdir("bad");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("c.pem"), "not pem").unwrap();
        let cfg = HttpsConfig {
            cert: Some("c.pem".into()),
            key: Some("k.pem".into()),
            ..HttpsConfig::default()
        };
        let e = server_config(&cfg, &dir, "d").unwrap_err();
        assert!(e.usage && e.to_string().contains("c.pem"), "{e}");
        let cfg = HttpsConfig { key: None, ..cfg };
        assert!(
            server_config(&cfg, &dir, "d")
                .unwrap_err()
                .to_string()
                .contains("https.key")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn fingerprint_is_colon_hex() {
        let f = fingerprint(b"abc");
        assert_eq!(f.len(), 32 * 3 - 1);
        assert!(f.starts_with("BA:78:16:BF"), "{f}");
    }
}
