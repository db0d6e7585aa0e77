//! Value header for the "expiry" compaction filter (FORMAT.md "Expiry value header").
//!
//! With `compactionFilter: "expiry"`, values start with a header:
//! ```text
//! 0x00 payload...                       no expiry
//! 0x01 u64 LE expire_at_ms payload...   expires at expire_at_ms (Unix time, milliseconds)
//! ```
//! A value that is empty or starts with another byte is treated as "no expiry" and never
//! dropped. An entry is expired when `expire_at_ms <= now_ms`, matching Redis (a key whose
//! PEXPIREAT time has been reached no longer exists). Expired values are invisible to reads;
//! compaction turns them into tombstones, or drops them at the bottom of the tree.

pub const HEADER_NONE: u8 = 0;
pub const HEADER_EXPIRES: u8 = 1;
pub const EXPIRES_HEADER_LEN: usize = 9;

/// Expiry time of a value, if its header carries one.
pub fn expire_at_ms(value: &[u8]) -> Option<u64> {
    if value.len() >= EXPIRES_HEADER_LEN && value[0] == HEADER_EXPIRES {
        Some(u64::from_le_bytes(value[1..9].try_into().unwrap()))
    } else {
        None
    }
}

pub fn is_expired(value: &[u8], now_ms: u64) -> bool {
    expire_at_ms(value).is_some_and(|t| t <= now_ms)
}

/// The compaction filter for values carrying the expiry header.
#[derive(Debug, Default)]
pub struct ExpiryFilter;

impl super::options::CompactionFilter for ExpiryFilter {
    fn name(&self) -> &'static str {
        "expiry"
    }
    fn is_dead(&self, _user_key: &[u8], value: &[u8], now_ms: u64) -> bool {
        is_expired(value, now_ms)
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header() {
        let mut v = vec![HEADER_EXPIRES];
        v.extend_from_slice(&1000u64.to_le_bytes());
        v.extend_from_slice(b"payload");
        assert_eq!(expire_at_ms(&v), Some(1000));
        assert!(is_expired(&v, 1000));
        assert!(!is_expired(&v, 999));
        assert!(!is_expired(&[HEADER_NONE, 1, 2], u64::MAX));
        assert!(!is_expired(&[], u64::MAX));
        assert!(!is_expired(&[HEADER_EXPIRES, 1, 2], u64::MAX), "short header is not an expiry");
        assert!(!is_expired(b"plain", u64::MAX));
    }
}
