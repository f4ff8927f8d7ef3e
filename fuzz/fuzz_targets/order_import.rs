//! An order import file (CSV or a JSON array) through the depot's own `parse_import`, then
//! imported into the real depot store as the local operator, twice: the second import creates
//! nothing (orders are idempotent by source and reference). What parses as CSV reads the same
//! once written as JSON.
#![no_main]

use fundi_fuzz::real_depot;
use fundi_fuzz::store::accounts::Caller;
use fundi_fuzz::store::orders::{import, parse_import};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let list = match parse_import(data) {
        Ok(list) => list,
        Err(e) => return assert_eq!((e.status, e.code), (400, "malformed"), "{e}"),
    };
    let as_json = serde_json::to_vec(&list).expect("orders serialize");
    assert_eq!(parse_import(&as_json).expect("its own JSON parses"), list, "CSV and JSON disagree");

    let depot = real_depot::shared();
    let operator = Caller::local_operator();
    match import(&depot.db, &operator, &list) {
        Ok(report) => {
            assert!(report.created.len() + report.already_present == list.len());
            let again = import(&depot.db, &operator, &list).expect("an import that worked works again");
            assert!(again.created.is_empty(), "a second import created {:?}", again.created);
            assert_eq!(again.already_present, list.len());
        }
        Err(e) => assert!(matches!(e.code, "invalid" | "too_large"), "{e}"),
    }
});
