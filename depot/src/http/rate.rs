//! Request-rate limits for the endpoints a stranger or a stolen phone could hammer: wrong
//! enrollment codes per client address, and token rotations per device. A fixed window per key,
//! in memory (a restart forgets it, which only ever lets a client try again sooner); the map is
//! bounded, so a flood of keys cannot grow it without limit.

use super::ApiError;
use std::collections::HashMap;
use std::sync::Mutex;

/// Keys remembered at most; past this, expired windows are swept, then the oldest dropped.
const KEYS_MAX: usize = 10_000;

pub struct RateLimiter {
    max: u32,
    window_ms: u64,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateLimiter {
    /// At most `max` counted events per `key` in any window of `window_ms`.
    pub fn new(max: u32, window_ms: u64) -> RateLimiter {
        RateLimiter { max, window_ms, windows: Mutex::new(HashMap::new()) }
    }

    /// Refuse with `rate_limited` when `key` has used up its window.
    pub fn check(&self, key: &str, now_ms: u64) -> Result<(), ApiError> {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match windows.get(key) {
            Some((start, n)) if now_ms < start + self.window_ms && *n >= self.max => {
                let wait_s = (start + self.window_ms - now_ms).div_ceil(1000);
                Err(ApiError::rate_limited(format!("too many attempts: try again in {wait_s} s")))
            }
            _ => Ok(()),
        }
    }

    /// Count one event for `key`.
    pub fn count(&self, key: &str, now_ms: u64) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= KEYS_MAX && !windows.contains_key(key) {
            windows.retain(|_, (start, _)| now_ms < *start + self.window_ms);
            if windows.len() >= KEYS_MAX {
                if let Some(oldest) = windows.iter().min_by_key(|(_, (start, _))| *start).map(|(k, _)| k.clone()) {
                    windows.remove(&oldest);
                }
            }
        }
        let entry = windows.entry(key.to_string()).or_insert((now_ms, 0));
        if now_ms >= entry.0 + self.window_ms {
            *entry = (now_ms, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_after_its_allowance_until_the_window_ends() {
        let limiter = RateLimiter::new(3, 60_000);
        for _ in 0..3 {
            assert!(limiter.check("10.0.0.1", 1_000).is_ok());
            limiter.count("10.0.0.1", 1_000);
        }
        assert_eq!(limiter.check("10.0.0.1", 2_000).unwrap_err().code, "rate_limited");
        assert!(limiter.check("10.0.0.2", 2_000).is_ok(), "other keys are not affected");
        assert!(limiter.check("10.0.0.1", 61_000).is_ok(), "a new window starts");
    }

    #[test]
    fn the_map_stays_bounded_under_a_flood_of_keys() {
        let limiter = RateLimiter::new(1, 60_000);
        for i in 0..(KEYS_MAX + 500) {
            limiter.count(&format!("key{i}"), 1_000);
        }
        assert!(limiter.windows.lock().unwrap().len() <= KEYS_MAX);
    }
}
