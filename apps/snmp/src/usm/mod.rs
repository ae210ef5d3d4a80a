//! The User-based Security Model (RFC 3414) for SNMPv3: the local engine
//! (engine ID, boots, time) and the user table with localized keys.

pub mod crypto;

use core::fmt;

use petrel_netcore::time::Instant;

use crate::agent::{Access, View};
use crypto::{AuthProtocol, CryptoError, Key, PrivProtocol};

/// Longest engine ID (RFC 3411 allows 5 to 32 octets).
pub const MAX_ENGINE_ID_LEN: usize = 32;
/// Longest user name (RFC 3414: 1 to 32 octets).
pub const MAX_USER_NAME_LEN: usize = 32;
/// The time window of RFC 3414 section 3.2 step 7, in seconds.
pub const TIME_WINDOW_SECS: u32 = 150;
/// engineBoots and engineTime saturate at this value.
pub const MAX_ENGINE_VALUE: u32 = 0x7fff_ffff;

/// A security level, ordered from weakest to strongest.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecurityLevel {
    /// noAuthNoPriv.
    NoAuthNoPriv,
    /// authNoPriv.
    AuthNoPriv,
    /// authPriv.
    AuthPriv,
}

impl SecurityLevel {
    /// The level encoded by msgFlags.
    pub fn from_flags(flags: u8) -> SecurityLevel {
        match flags & 0x03 {
            0x03 => SecurityLevel::AuthPriv,
            0x01 => SecurityLevel::AuthNoPriv,
            _ => SecurityLevel::NoAuthNoPriv,
        }
    }

    /// The msgFlags bits for the level.
    pub fn flags(self) -> u8 {
        match self {
            SecurityLevel::NoAuthNoPriv => 0,
            SecurityLevel::AuthNoPriv => 1,
            SecurityLevel::AuthPriv => 3,
        }
    }
}

/// A secret for a user: a password (turned into a localized key at
/// configuration time) or an already localized key.
#[derive(Copy, Clone, Debug)]
pub enum Secret<'a> {
    /// A password of at least 8 octets.
    Password(&'a [u8]),
    /// A key already localized to this engine (as `snmpkey` prints); for
    /// privacy, already extended to the cipher's length.
    Localized(&'a [u8]),
}

/// A user as configured.
#[derive(Copy, Clone, Debug)]
pub struct UserConfig<'a> {
    /// usmUserName (1 to 32 octets).
    pub name: &'a [u8],
    /// Authentication protocol and secret, if any.
    pub auth: Option<(AuthProtocol, Secret<'a>)>,
    /// Privacy protocol and secret, if any (needs `auth`).
    pub privacy: Option<(PrivProtocol, Secret<'a>)>,
    /// Lowest security level accepted from this user (VACM's
    /// vacmAccessSecurityLevel); requests below it get authorizationError.
    pub min_level: SecurityLevel,
    /// Whether the user may write.
    pub access: Access,
    /// Objects the user may read.
    pub read_view: View<'a>,
    /// Objects the user may write.
    pub write_view: View<'a>,
}

/// Why a user could not be configured.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UserError {
    /// Empty or longer than [`MAX_USER_NAME_LEN`].
    BadName,
    /// Privacy without authentication.
    PrivWithoutAuth,
    /// A key could not be derived.
    Key(CryptoError),
    /// The user table is full.
    TableFull,
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserError::BadName => f.write_str("user name must have 1 to 32 octets"),
            UserError::PrivWithoutAuth => f.write_str("privacy needs authentication"),
            UserError::Key(e) => write!(f, "user key: {e}"),
            UserError::TableFull => f.write_str("user table full"),
        }
    }
}

impl core::error::Error for UserError {}

/// A user with keys localized to this engine.
#[derive(Clone, Debug)]
// Without `v3` users can be configured but no request reaches them.
#[cfg_attr(not(feature = "v3"), allow(dead_code))]
pub struct User<'a> {
    pub(crate) name: heapless::Vec<u8, MAX_USER_NAME_LEN>,
    pub(crate) auth: Option<(AuthProtocol, Key)>,
    pub(crate) privacy: Option<(PrivProtocol, Key)>,
    pub(crate) min_level: SecurityLevel,
    pub(crate) access: Access,
    pub(crate) read_view: View<'a>,
    pub(crate) write_view: View<'a>,
}

impl<'a> User<'a> {
    /// Localizes `cfg`'s secrets to `engine_id` (the slow part: about 1 MiB
    /// of hashing per password).
    pub fn new(cfg: &UserConfig<'a>, engine_id: &[u8]) -> Result<User<'a>, UserError> {
        if cfg.name.is_empty() {
            return Err(UserError::BadName);
        }
        // Without the digests and ciphers no message could be checked or
        // decrypted: refuse such users rather than accept forged MACs.
        if !cfg!(feature = "usm") && (cfg.auth.is_some() || cfg.privacy.is_some()) {
            return Err(UserError::Key(CryptoError::Unsupported));
        }
        let name = heapless::Vec::from_slice(cfg.name).map_err(|_| UserError::BadName)?;
        let auth = match cfg.auth {
            None => None,
            Some((p, Secret::Password(pw))) => Some((
                p,
                crypto::localized_auth_key(p, pw, engine_id).map_err(UserError::Key)?,
            )),
            Some((p, Secret::Localized(k))) => {
                if k.len() != p.key_len() {
                    return Err(UserError::Key(CryptoError::BadKeyLength));
                }
                Some((
                    p,
                    Key::from_slice(k).ok_or(UserError::Key(CryptoError::BadKeyLength))?,
                ))
            }
        };
        let privacy = match (cfg.privacy, auth) {
            (None, _) => None,
            (Some(_), None) => return Err(UserError::PrivWithoutAuth),
            (Some((p, Secret::Password(pw))), Some((a, _))) => Some((
                p,
                crypto::localized_priv_key(a, p, pw, engine_id).map_err(UserError::Key)?,
            )),
            (Some((p, Secret::Localized(k))), Some(_)) => {
                if k.len() < p.key_len() {
                    return Err(UserError::Key(CryptoError::BadKeyLength));
                }
                Some((
                    p,
                    Key::from_slice(k).ok_or(UserError::Key(CryptoError::BadKeyLength))?,
                ))
            }
        };
        Ok(User {
            name,
            auth,
            privacy,
            min_level: cfg.min_level,
            access: cfg.access,
            read_view: cfg.read_view,
            write_view: cfg.write_view,
        })
    }

    /// The user name.
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The highest level the user's keys support.
    pub fn max_level(&self) -> SecurityLevel {
        match (&self.auth, &self.privacy) {
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            _ => SecurityLevel::NoAuthNoPriv,
        }
    }
}

/// The local SNMP engine: engine ID, boots and the origin of engine time.
#[derive(Clone, Debug)]
pub struct Engine {
    pub(crate) id: heapless::Vec<u8, MAX_ENGINE_ID_LEN>,
    pub(crate) boots: u32,
    pub(crate) origin: Instant,
}

impl Engine {
    /// An engine whose snmpEngineBoots is `stored_boots + 1` (the caller
    /// must persist the new value: see [`crate::agent::Event::PersistEngineBoots`]).
    /// An engine ID longer than 32 octets is truncated.
    pub fn new(id: &[u8], stored_boots: u32, now: Instant) -> Engine {
        let id = id.get(..id.len().min(MAX_ENGINE_ID_LEN)).unwrap_or(&[]);
        Engine {
            id: heapless::Vec::from_slice(id).unwrap_or_default(),
            boots: stored_boots.saturating_add(1).min(MAX_ENGINE_VALUE),
            origin: now,
        }
    }

    /// snmpEngineID.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// snmpEngineBoots.
    pub fn boots(&self) -> u32 {
        self.boots
    }

    /// snmpEngineTime at `now`, in seconds.
    pub fn time(&self, now: Instant) -> u32 {
        let secs = (now - self.origin).as_secs();
        u32::try_from(secs)
            .unwrap_or(u32::MAX)
            .min(MAX_ENGINE_VALUE)
    }

    /// Rolls boots over when engine time reaches 2^31-1 (RFC 3414 2.2.2);
    /// returns the new boots value when it changed.
    pub(crate) fn tick(&mut self, now: Instant) -> Option<u32> {
        if self.time(now) >= MAX_ENGINE_VALUE && self.boots < MAX_ENGINE_VALUE {
            self.boots += 1;
            self.origin = now;
            return Some(self.boots);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_time_and_boots() {
        let mut e = Engine::new(&[0x80, 0, 0, 1, 1], 6, Instant::from_secs(10));
        assert_eq!(e.boots(), 7);
        assert_eq!(e.time(Instant::from_secs(75)), 65);
        assert_eq!(e.tick(Instant::from_secs(75)), None);
        let late = Instant::from_secs(10 + u64::from(MAX_ENGINE_VALUE));
        assert_eq!(e.tick(late), Some(8));
        assert_eq!(e.time(late), 0);
    }

    #[cfg(not(feature = "usm"))]
    #[test]
    fn without_usm_users_with_keys_are_refused() {
        let base = UserConfig {
            name: b"u",
            auth: Some((AuthProtocol::HmacSha1, Secret::Localized(&[7; 20]))),
            privacy: None,
            min_level: SecurityLevel::NoAuthNoPriv,
            access: Access::ReadOnly,
            read_view: View::All,
            write_view: View::Nothing,
        };
        assert_eq!(
            User::new(&base, b"engine").err(),
            Some(UserError::Key(CryptoError::Unsupported))
        );
        let plain = UserConfig { auth: None, ..base };
        assert!(User::new(&plain, b"engine").is_ok());
        assert_eq!(
            crypto::password_to_key(AuthProtocol::HmacSha1, b"maplesyrup").err(),
            Some(CryptoError::Unsupported)
        );
    }

    #[cfg(feature = "usm")]
    #[test]
    fn user_config_errors() {
        let base = UserConfig {
            name: b"u",
            auth: None,
            privacy: Some((PrivProtocol::Aes128, Secret::Password(b"12345678"))),
            min_level: SecurityLevel::NoAuthNoPriv,
            access: Access::ReadOnly,
            read_view: View::All,
            write_view: View::Nothing,
        };
        assert_eq!(
            User::new(&base, b"e").err(),
            Some(UserError::PrivWithoutAuth)
        );
        let c = UserConfig { name: b"", ..base };
        assert_eq!(User::new(&c, b"e").err(), Some(UserError::BadName));
        let c = UserConfig {
            privacy: None,
            auth: Some((AuthProtocol::HmacSha1, Secret::Localized(&[1; 16]))),
            ..base
        };
        assert_eq!(
            User::new(&c, b"e").err(),
            Some(UserError::Key(CryptoError::BadKeyLength))
        );
        let c = UserConfig {
            privacy: None,
            auth: Some((AuthProtocol::HmacSha1, Secret::Password(b"short"))),
            ..base
        };
        assert_eq!(
            User::new(&c, b"e").err(),
            Some(UserError::Key(CryptoError::PasswordTooShort))
        );
    }
}
