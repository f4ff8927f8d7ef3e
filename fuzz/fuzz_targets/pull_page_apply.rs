//! Pull pages applied to a real phone store through its public API, against a fake depot on
//! loopback: the harness is `fundi_fuzz::pull_page` (shared with the normal suite, which
//! replays every kept input with the strict views on). With `FUNDI_FUZZ_STRICT_VIEWS=1`, after
//! a sync that succeeded every view must read too (a record this build cannot show is held for
//! a newer app, never a reason for a whole list to fail).
#![no_main]

use fundi_fuzz::{fake_depot, pull_page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pull_page::run(fake_depot::shared(), data, std::env::var_os("FUNDI_FUZZ_STRICT_VIEWS").is_some());
});
