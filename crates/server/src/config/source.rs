//! Where configuration values come from: the environment, or a map in tests.

use super::ConfigError;
use std::{collections::HashMap, str::FromStr, time::Duration};

/// A snapshot of variables. An empty value counts as unset, as it does for
/// most container tooling. Values are taken as they are: one with stray
/// white space around it fails to parse (or, for `JWT_SECRET`, is refused)
/// rather than being trimmed behind the operator's back.
#[derive(Clone, Default)]
pub struct Source(HashMap<String, String>);

/// Names only: the values include secrets.
impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.0.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_tuple("Source").field(&names).finish()
    }
}

impl Source {
    /// Every variable of this process (names and values that are valid UTF-8).
    pub fn from_env() -> Self {
        Self(std::env::vars().collect())
    }

    /// The value of `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Parses `name`, or gives `default` when it is unset.
    pub fn parse<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|_| ConfigError::new(name, format!("cannot use {raw:?} here"))),
        }
    }

    /// A whole number of seconds, at least 1.
    pub fn positive_secs(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        match self.parse(name, default)? {
            0 => Err(ConfigError::new(name, "must be at least 1 second")),
            secs => Ok(Duration::from_secs(secs)),
        }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Source {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}
