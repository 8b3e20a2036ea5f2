//! Where PostgreSQL is, and how TLS to it is negotiated and checked.
//!
//! A connection string is a libpq URL (`postgres://user:pw@host:5432/db?…`)
//! or a libpq `key=value` string. tokio-postgres reads every part of it but
//! libpq's TLS parameters beyond `disable`, `prefer` and `require`; those
//! (`sslmode`, `sslrootcert`) are read here, with libpq's meanings, and the
//! rest goes to [`tokio_postgres::Config`].

use crate::PgError;
use std::{fmt, path::PathBuf, str::FromStr};

/// Whether and how to encrypt, with libpq's `sslmode` meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// Plain TCP.
    #[default]
    Disable,
    /// TLS if the server insists, else plain; certificate not checked.
    /// (libpq tries plain first; Trellis tries TLS first, which is never
    /// less safe.)
    Allow,
    /// TLS if the server offers it, else plain; certificate not checked.
    Prefer,
    /// TLS or nothing. The certificate is not checked, unless a root
    /// certificate is given ([`ConnectionString::ssl_root_cert`]): then its
    /// chain is, as with [`SslMode::VerifyCa`] (libpq does the same).
    Require,
    /// TLS; the certificate must chain to a trusted authority (those of the
    /// root certificate file if one is given, as libpq; else the system's);
    /// its host name is not checked.
    VerifyCa,
    /// TLS; the certificate must chain to a trusted authority and name the
    /// host connected to.
    VerifyFull,
}

impl SslMode {
    /// libpq's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `sslmode` libpq does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be disable, allow, prefer, require, verify-ca or verify-full")]
pub struct InvalidSslMode;

impl FromStr for SslMode {
    type Err = InvalidSslMode;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Ok(match raw {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return Err(InvalidSslMode),
        })
    }
}

/// How TLS is to be checked, once mode and root certificate are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verification {
    /// Encrypt, accept any certificate.
    None,
    /// The chain must verify; any host name.
    Chain,
    /// The chain and the host name must verify.
    Full,
}

/// A parsed connection string: the driver's configuration, and the TLS
/// parameters (from the string, or set afterwards).
///
/// Its `Debug` form leaves out the password.
#[derive(Debug, Clone)]
pub struct ConnectionString {
    config: tokio_postgres::Config,
    ssl_mode: Option<SslMode>,
    ssl_root_cert: Option<PathBuf>,
}

impl ConnectionString {
    /// A connection built part by part (the old service's `DB_HOST`,
    /// `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD`).
    pub fn from_parts(
        host: &str,
        port: u16,
        dbname: &str,
        user: &str,
        password: Option<&str>,
    ) -> Self {
        let mut config = tokio_postgres::Config::new();
        config.host(host).port(port).dbname(dbname).user(user);
        if let Some(password) = password {
            config.password(password);
        }
        Self::from_config(config)
    }

    fn from_config(config: tokio_postgres::Config) -> Self {
        Self {
            config,
            ssl_mode: None,
            ssl_root_cert: None,
        }
    }

    /// The `sslmode` given, if any.
    pub fn ssl_mode(&self) -> Option<SslMode> {
        self.ssl_mode
    }

    /// The `sslrootcert` given, if any.
    pub fn ssl_root_cert(&self) -> Option<&PathBuf> {
        self.ssl_root_cert.as_ref()
    }

    /// Sets `sslmode`.
    pub fn set_ssl_mode(&mut self, mode: SslMode) {
        self.ssl_mode = Some(mode);
    }

    /// Sets `sslrootcert`: a PEM file of the certificate authorities to
    /// trust, instead of the system's.
    pub fn set_ssl_root_cert(&mut self, path: PathBuf) {
        self.ssl_root_cert = Some(path);
    }

    /// The mode in force: the one given, else [`SslMode::Disable`].
    pub(crate) fn effective_ssl_mode(&self) -> SslMode {
        self.ssl_mode.unwrap_or_default()
    }

    /// How the certificate is checked, if TLS is used at all.
    pub(crate) fn verification(&self) -> Option<Verification> {
        match self.effective_ssl_mode() {
            SslMode::Disable => None,
            SslMode::Allow | SslMode::Prefer => Some(Verification::None),
            SslMode::Require if self.ssl_root_cert.is_some() => Some(Verification::Chain),
            SslMode::Require => Some(Verification::None),
            SslMode::VerifyCa => Some(Verification::Chain),
            SslMode::VerifyFull => Some(Verification::Full),
        }
    }

    /// The driver's configuration, TLS negotiation set from the mode.
    pub(crate) fn driver_config(&self) -> tokio_postgres::Config {
        use tokio_postgres::config::SslMode as Driver;
        let mut config = self.config.clone();
        config.ssl_mode(match self.effective_ssl_mode() {
            SslMode::Disable => Driver::Disable,
            SslMode::Allow | SslMode::Prefer => Driver::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Driver::Require,
        });
        config
    }
}

impl FromStr for ConnectionString {
    type Err = PgError;

    /// Parses a libpq URL or `key=value` string.
    fn from_str(raw: &str) -> Result<Self, PgError> {
        let (rest, tls) = if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            split_url(raw)
        } else {
            split_key_values(raw)?
        };
        let mut parsed = Self::from_config(rest.parse().map_err(PgError::Connection)?);
        for (key, value) in tls {
            match key.as_str() {
                "sslmode" => {
                    parsed.ssl_mode = Some(value.parse().map_err(|InvalidSslMode| {
                        PgError::Tls(format!("sslmode {value:?}: {InvalidSslMode}"))
                    })?);
                }
                _ => parsed.ssl_root_cert = Some(PathBuf::from(value)),
            }
        }
        Ok(parsed)
    }
}

/// The keys read here rather than by the driver.
const TLS_KEYS: [&str; 2] = ["sslmode", "sslrootcert"];

/// A URL without its TLS query parameters, and those parameters decoded.
fn split_url(raw: &str) -> (String, Vec<(String, String)>) {
    let Some((base, query)) = raw.split_once('?') else {
        return (raw.to_owned(), Vec::new());
    };
    let mut kept = Vec::new();
    let mut tls = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key);
        if TLS_KEYS.contains(&key.as_str()) {
            tls.push((key, decode(value)));
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (rest, tls)
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// A `key=value` string without its TLS pairs, and those pairs. A key
/// given twice takes its last value, as in libpq.
fn split_key_values(raw: &str) -> Result<(String, Vec<(String, String)>), PgError> {
    let mut pairs = key_values(raw)?;
    let mut seen = std::collections::HashSet::new();
    pairs.reverse();
    pairs.retain(|(key, _)| seen.insert(key.clone()));
    pairs.reverse();
    let mut kept = Vec::new();
    let mut tls = Vec::new();
    for (key, value) in pairs {
        if TLS_KEYS.contains(&key.as_str()) {
            tls.push((key, value));
        } else {
            kept.push(format!(
                "{key}='{}'",
                value.replace('\\', "\\\\").replace('\'', "\\'")
            ));
        }
    }
    Ok((kept.join(" "), tls))
}

/// The pairs of a libpq `key = value` string: values bare or in single
/// quotes, `\` escaping the next character.
fn key_values(raw: &str) -> Result<Vec<(String, String)>, PgError> {
    let malformed = || PgError::Tls("malformed connection string".into());
    let mut chars = raw.chars().peekable();
    let mut pairs = Vec::new();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') || key.is_empty() {
            return Err(malformed());
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next().ok_or_else(malformed)? {
                    '\'' => break,
                    '\\' => value.push(chars.next().ok_or_else(malformed)?),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.push(chars.next().ok_or_else(malformed)?);
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> ConnectionString {
        raw.parse().unwrap()
    }

    #[test]
    fn libpq_tls_parameters_are_read_from_urls() {
        let url = parse(
            "postgres://u:p%40ss@db.example:6432/app?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        );
        assert_eq!(url.ssl_mode(), Some(SslMode::VerifyFull));
        assert_eq!(url.ssl_root_cert(), Some(&PathBuf::from("/etc/ca.pem")));
        let config = url.driver_config();
        assert_eq!(config.get_dbname(), Some("app"));
        assert_eq!(config.get_password(), Some(&b"p@ss"[..]));
        assert_eq!(config.get_application_name(), Some("x"));
        assert_eq!(
            config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        assert_eq!(parse("postgres://h/db").ssl_mode(), None);
        assert_eq!(
            parse("postgresql://h/db?sslmode=require").ssl_mode(),
            Some(SslMode::Require)
        );
    }

    #[test]
    fn libpq_tls_parameters_are_read_from_key_values() {
        let kv = parse(r"host=h dbname = 'my db' password='it\'s' sslmode=verify-ca");
        assert_eq!(kv.ssl_mode(), Some(SslMode::VerifyCa));
        let config = kv.driver_config();
        assert_eq!(config.get_dbname(), Some("my db"));
        assert_eq!(config.get_password(), Some(&b"it's"[..]));
        assert!("host=h sslmode=bogus".parse::<ConnectionString>().is_err());
        let last = parse("host=a sslmode=require host=b sslmode=disable");
        assert_eq!(last.ssl_mode(), Some(SslMode::Disable));
        assert_eq!(
            last.driver_config().get_hosts(),
            [tokio_postgres::config::Host::Tcp("b".into())]
        );
        assert!("host=h dbname".parse::<ConnectionString>().is_err());
    }

    #[test]
    fn parts_make_a_connection_whose_debug_hides_the_password() {
        let parts = ConnectionString::from_parts("db", 5433, "app", "me", Some("it's secret"));
        let config = parts.driver_config();
        assert_eq!(config.get_ports(), [5433]);
        assert_eq!(config.get_password(), Some(&b"it's secret"[..]));
        assert!(!format!("{parts:?}").contains("secret"));
    }

    #[test]
    fn require_checks_the_chain_only_with_a_root_certificate() {
        let mut require = parse("postgres://h/db?sslmode=require");
        assert_eq!(require.verification(), Some(Verification::None));
        require.set_ssl_root_cert("/ca.pem".into());
        assert_eq!(require.verification(), Some(Verification::Chain));
        assert_eq!(parse("postgres://h/db").verification(), None);
        assert_eq!(
            parse("postgres://h/db?sslmode=prefer")
                .driver_config()
                .get_ssl_mode(),
            tokio_postgres::config::SslMode::Prefer
        );
    }
}
