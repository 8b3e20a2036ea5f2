//! Durations as the old service wrote them (`JWT_EXPIRES_IN=24h`).

use std::time::Duration;

/// Parses `3600` (seconds), `30s`, `15m`, `24h` or `7d`.
pub fn parse(raw: &str) -> Option<Duration> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    number.checked_mul(seconds).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_forms() {
        assert_eq!(parse("3600"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse("7d"), Some(Duration::from_secs(604_800)));
        for bad in ["", "h", "1w", "-1h", "1.5h", "99999999999999999999d"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
