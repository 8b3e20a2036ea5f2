//! `Content-Disposition: attachment` with the file's name (RFC 6266): a
//! plain `filename` for old clients (non-ASCII, quotes and backslashes made
//! `_`) and `filename*=UTF-8''…` with the exact name, percent-encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use trellis_domain::FileName;

/// Everything but RFC 8187's `attr-char`s is percent-encoded.
const NOT_ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// The header value for a download of `name`.
pub(super) fn attachment(name: &FileName) -> String {
    let fallback: String = name
        .as_str()
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let exact = utf8_percent_encode(name.as_str(), NOT_ATTR_CHAR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_appear_in_both_forms() {
        assert_eq!(
            attachment(&FileName::sanitize("report v2.pdf")),
            "attachment; filename=\"report v2.pdf\"; filename*=UTF-8''report%20v2.pdf"
        );
    }

    #[test]
    fn other_names_are_exact_only_in_the_extended_form() {
        assert_eq!(
            attachment(&FileName::sanitize("naïve \"quote\".txt")),
            "attachment; filename=\"na_ve _quote_.txt\"; \
             filename*=UTF-8''na%C3%AFve%20%22quote%22.txt"
        );
    }
}
