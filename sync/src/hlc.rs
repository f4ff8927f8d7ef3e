//! Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014). Pure: no I/O.
//!
//! Every change on a phone is stamped with an HLC timestamp. Its physical part follows the wall
//! clock when the wall clock moves forward; its counter orders events within one millisecond, or
//! while the wall clock is behind a timestamp already seen (a phone whose clock jumps backwards
//! stays monotonic). The node id breaks the last ties, so two replicas never mint equal stamps.
//!
//! The text form is fixed-width lowercase hex, so comparing two stamps as strings (as SQLite
//! does in `ORDER BY` and `MAX()`) gives the same order as comparing them as values.
//! See `docs/adr/0003-hybrid-logical-clock.md`.

use std::fmt;
use std::str::FromStr;

/// Most counter ticks within one physical millisecond before the clock refuses to go on.
/// A phone reaches it only if its wall clock stands still for 16M events.
pub const MAX_COUNTER: u32 = 0x00ff_ffff;

/// One HLC timestamp. Ordered by (wall_ms, counter, node).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Milliseconds since the Unix epoch (the "l" of the paper).
    pub wall_ms: u64,
    /// Logical counter within `wall_ms` (the "c" of the paper).
    pub counter: u32,
    /// The replica that minted the stamp.
    pub node: u64,
}

/// Length of [`Timestamp`]'s text form: 12 hex digits of ms, 6 of counter, 16 of node.
pub const TEXT_LEN: usize = 12 + 6 + 16;

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012x}{:06x}{:016x}", self.wall_ms, self.counter, self.node)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("malformed timestamp")]
    Malformed,
    #[error("timestamp is {ahead_ms} ms ahead of this clock, more than the {max_ms} ms allowed")]
    TooFarInFuture { ahead_ms: u64, max_ms: u64 },
    #[error("logical counter overflow")]
    CounterOverflow,
}

impl FromStr for Timestamp {
    type Err = ClockError;
    fn from_str(s: &str) -> Result<Self, ClockError> {
        if s.len() != TEXT_LEN || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(ClockError::Malformed);
        }
        let hex = |r: std::ops::Range<usize>| u64::from_str_radix(&s[r], 16).map_err(|_| ClockError::Malformed);
        Ok(Timestamp { wall_ms: hex(0..12)?, counter: hex(12..18)? as u32, node: hex(18..34)? })
    }
}

/// The state of one replica's clock: the greatest (wall_ms, counter) it has issued or seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hlc {
    pub wall_ms: u64,
    pub counter: u32,
    pub node: u64,
}

impl Hlc {
    pub fn new(node: u64) -> Self {
        Hlc { wall_ms: 0, counter: 0, node }
    }

    /// Stamp a local event (a user edit, or a message about to be sent).
    pub fn tick(&mut self, physical_ms: u64) -> Result<Timestamp, ClockError> {
        if physical_ms > self.wall_ms {
            self.wall_ms = physical_ms;
            self.counter = 0;
        } else {
            self.counter = self.counter.checked_add(1).filter(|c| *c <= MAX_COUNTER).ok_or(ClockError::CounterOverflow)?;
        }
        Ok(self.current())
    }

    /// Take in a stamp received from another replica, refusing one more than `max_ahead_ms` in
    /// the future of our own physical clock (the server's bound on runaway phone clocks).
    /// After this, every stamp this clock issues is greater than `remote`.
    pub fn observe(&mut self, remote: Timestamp, physical_ms: u64, max_ahead_ms: u64) -> Result<(), ClockError> {
        let ahead = remote.wall_ms.saturating_sub(physical_ms);
        if ahead > max_ahead_ms {
            return Err(ClockError::TooFarInFuture { ahead_ms: ahead, max_ms: max_ahead_ms });
        }
        let wall = self.wall_ms.max(remote.wall_ms).max(physical_ms);
        let counter = if wall == self.wall_ms && wall == remote.wall_ms {
            self.counter.max(remote.counter) + 1
        } else if wall == self.wall_ms {
            self.counter + 1
        } else if wall == remote.wall_ms {
            remote.counter + 1
        } else {
            0
        };
        if counter > MAX_COUNTER {
            return Err(ClockError::CounterOverflow);
        }
        self.wall_ms = wall;
        self.counter = counter;
        Ok(())
    }

    pub fn current(&self) -> Timestamp {
        Timestamp { wall_ms: self.wall_ms, counter: self.counter, node: self.node }
    }
}

/// Milliseconds since the Unix epoch by the wall clock (0 if the clock is before 1970).
/// A new random 64-bit node id (from the OS's random source, through a v4 UUID): each phone
/// and each depot mints one once and keeps it.
pub fn random_node() -> u64 {
    u64::from_be_bytes(uuid::Uuid::new_v4().as_bytes()[..8].try_into().expect("a UUID has 16 bytes"))
}

pub fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_sorts_like_values() {
        let stamps = [
            Timestamp { wall_ms: 1, counter: 0, node: 9 },
            Timestamp { wall_ms: 1, counter: 1, node: 0 },
            Timestamp { wall_ms: 1_700_000_000_000, counter: 0, node: u64::MAX },
            Timestamp { wall_ms: 1_700_000_000_000, counter: MAX_COUNTER, node: 1 },
            Timestamp { wall_ms: 1_700_000_000_001, counter: 0, node: 0 },
        ];
        for w in stamps.windows(2) {
            assert!(w[0] < w[1]);
            assert!(w[0].to_string() < w[1].to_string());
        }
        for s in stamps {
            assert_eq!(s.to_string().parse::<Timestamp>().unwrap(), s);
        }
        assert_eq!("xyz".parse::<Timestamp>(), Err(ClockError::Malformed));
        assert_eq!("0".repeat(TEXT_LEN - 1).parse::<Timestamp>(), Err(ClockError::Malformed));
        assert_eq!("G".repeat(TEXT_LEN).parse::<Timestamp>(), Err(ClockError::Malformed));
    }

    #[test]
    fn stays_monotonic_when_the_wall_clock_jumps_backwards() {
        let mut c = Hlc::new(7);
        let a = c.tick(10_000).unwrap();
        let b = c.tick(5_000).unwrap(); // clock set back by the user
        let d = c.tick(5_001).unwrap();
        let e = c.tick(10_001).unwrap();
        assert!(a < b && b < d && d < e);
        assert_eq!(e.counter, 0, "counter resets once the wall clock overtakes");
    }

    #[test]
    fn observing_a_remote_stamp_orders_later_local_events_after_it() {
        let mut phone = Hlc::new(1);
        let mut server = Hlc::new(2);
        let remote = server.tick(50_000).unwrap();
        phone.tick(1_000).unwrap();
        phone.observe(remote, 1_000, u64::MAX).unwrap();
        let next = phone.tick(1_001).unwrap();
        assert!(next > remote);
    }

    #[test]
    fn refuses_stamps_too_far_ahead() {
        let mut c = Hlc::new(1);
        let far = Timestamp { wall_ms: 10_000 + 60_001, counter: 0, node: 3 };
        assert_eq!(c.observe(far, 10_000, 60_000), Err(ClockError::TooFarInFuture { ahead_ms: 60_001, max_ms: 60_000 }));
        assert_eq!(c.wall_ms, 0, "a refused stamp leaves the clock untouched");
    }

    #[test]
    fn counter_overflow_is_an_error_not_a_wrap() {
        let mut c = Hlc { wall_ms: 5, counter: MAX_COUNTER, node: 1 };
        assert_eq!(c.tick(5), Err(ClockError::CounterOverflow));
    }
}
