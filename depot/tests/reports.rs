//! The M&E reports (ADR 0022) against a hand-computed fixture. `fixtures/reports/scenario.json`
//! is played through a real depot process: accounts enrolled with the command line, orders
//! imported by operations, and every order command pushed by the device whose role issues it
//! (operations assign and cancel, the artisan accepts, declines, produces and reworks, staff
//! receive, check, ship and deliver) with the scenario's time as its stamp, so the depot writes
//! the histories and the money entries itself; one refund through the command line. Only the
//! enrollment days are set in SQL: the depot has no way to enroll someone in the past. Each
//! export of the scenario, from the command line and over HTTP, must be byte for byte the file
//! in `fixtures/reports/expected/`, written by hand (`fixtures/reports/README.md` shows the
//! arithmetic), with the accounts' ids in place of `{A}`, `{M1}`, ...

mod common;
use common::{Dev, Server};
use fundi_sync::dates::Day;
use fundi_sync::hlc::Timestamp;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SCENARIO: &str = include_str!("../../fixtures/reports/scenario.json");
const EXPECTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/reports/expected");

/// A depot holding the scenario, its devices, and the accounts by the scenario's keys.
struct Fixture {
    s: Server,
    ops: Dev,
    staff: Dev,
    devices: BTreeMap<String, Dev>,
}

/// The stamp of `when` ("YYYY-MM-DD HH:MM", East Africa Time), in wire form.
fn stamp(when: &str) -> String {
    let (day, time) = when.split_once(' ').unwrap();
    let (h, m) = time.split_once(':').unwrap();
    let minutes: i64 = h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap();
    let wall_ms = Day::parse(day).unwrap().start_ms() + minutes * 60_000;
    Timestamp { wall_ms: wall_ms as u64, counter: 0, node: 7 }.to_string()
}

fn build() -> Fixture {
    let scenario: Value = serde_json::from_str(SCENARIO).unwrap();
    let s = Server::start();
    let ops = s.device("operations", "Operations", None);
    let staff = s.device("staff", "Depot staff", None);
    let mut devices: BTreeMap<String, Dev> = BTreeMap::new();
    let db = s.db();
    for a in scenario["accounts"].as_array().unwrap() {
        let mentor = a["mentor"].as_str().map(|m| devices[m].account.clone());
        let dev = s.device(a["role"].as_str().unwrap(), a["name"].as_str().unwrap(), mentor.as_deref());
        if let Some(day) = a["enrolled"].as_str() {
            let ms = Day::parse(day).unwrap().start_ms() + 9 * 3_600_000;
            db.execute("UPDATE accounts SET created_ms = ?1 WHERE id = ?2", (ms, &dev.account)).unwrap();
        }
        devices.insert(a["key"].as_str().unwrap().to_string(), dev);
    }
    let c = &scenario["commission"];
    s.cli(&["commission-rate", "--from", c["from"].as_str().unwrap(), "--percent", c["percent"].as_str().unwrap()]);
    let orders = scenario["orders"].as_array().unwrap();
    let import: Vec<Value> = orders
        .iter()
        .map(|o| json!({"source": "fixture", "external_ref": o["ref"], "product": o["product"], "quantity": o["quantity"], "price_minor": o["price_minor"]}))
        .collect();
    let (st, v) = s.req(Some(&ops), "/v1/orders", Some(json!({ "orders": import })));
    assert_eq!(st, 200, "{v}");
    let ids: Vec<String> = v["created"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), orders.len());
    for (o, id) in orders.iter().zip(&ids) {
        let mut artisan: Option<String> = None;
        for e in o["events"].as_array().unwrap() {
            let (when, name, arg) = (e[0].as_str().unwrap(), e[1].as_str().unwrap(), e.get(2).and_then(Value::as_str));
            let mut command = json!({"name": name, "hlc": stamp(when)});
            let by = match name {
                "assign" => {
                    artisan = arg.map(String::from);
                    command["args"] = json!({"artisan_id": devices[arg.unwrap()].account});
                    &ops
                }
                "cancel" => &ops,
                "receive" | "qc_pass" | "qc_fail" | "ship" | "deliver" => &staff,
                _ => &devices[artisan.as_deref().expect("assigned first")],
            };
            if name != "assign" {
                if let Some(reason) = arg {
                    command["args"] = json!({"reason": reason});
                }
            }
            let m = json!({"kind": "order", "id": id, "command": command});
            assert_eq!(s.push(by, vec![m]), vec![None], "{} {name} at {when}", o["ref"]);
        }
        if let Some(reason) = o["refund"].as_str() {
            s.cli(&["refund", id, "--reason", reason]);
        }
    }
    Fixture { s, ops, staff, devices }
}

impl Fixture {
    /// The expected file, with the accounts' ids in place of their keys.
    fn expected(&self, file: &str) -> String {
        let mut text = std::fs::read_to_string(format!("{EXPECTED}/{file}")).unwrap();
        for (key, dev) in &self.devices {
            text = text.replace(&format!("{{{key}}}"), &dev.account);
        }
        assert!(!text.contains('{'), "{file}: a key without an account");
        text
    }

    /// GET a report over HTTP as `dev`: (status, content type, content disposition, body).
    fn http(&self, dev: &Dev, path: &str) -> (u16, String, String, String) {
        let resp = self.s.http().get(format!("{}{path}", self.s.url)).bearer_auth(&dev.token).send().unwrap();
        let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let (status, ct, cd) = (resp.status().as_u16(), header("content-type"), header("content-disposition"));
        (status, ct, cd, resp.text().unwrap())
    }
}

/// Where the two texts first differ, line by line.
fn first_difference(got: &str, want: &str) -> String {
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    for i in 0..g.len().max(w.len()) {
        if g.get(i) != w.get(i) {
            return format!("line {}: got {:?}, expected {:?}", i + 1, g.get(i), w.get(i));
        }
    }
    "same lines (line endings differ)".into()
}

#[test]
fn every_report_equals_the_hand_computed_file_from_the_command_line_and_over_http() {
    let f = build();
    let scenario: Value = serde_json::from_str(SCENARIO).unwrap();
    let mut failures = vec![];
    for export in scenario["exports"].as_array().unwrap() {
        let (report, file) = (export["report"].as_str().unwrap(), export["expected"].as_str().unwrap());
        let want = f.expected(file);
        let mut args = vec!["report", report];
        let mut query = vec![];
        for bound in ["from", "to"] {
            if let Some(day) = export[bound].as_str() {
                args.extend([if bound == "from" { "--from" } else { "--to" }, day]);
                query.push(format!("{bound}={day}"));
            }
        }
        let cli = f.s.cli(&args);
        if cli != want {
            failures.push(format!("{file}, command line: {}\n{cli}", first_difference(&cli, &want)));
        }
        let path = format!("/v1/reports/{report}?{}", query.join("&"));
        let (status, content_type, disposition, body) = f.http(&f.ops, &path);
        assert_eq!((status, content_type.as_str()), (200, "text/csv; charset=utf-8"), "{path}: {body}");
        let name = match (export["from"].as_str(), export["to"].as_str()) {
            (Some(from), Some(to)) => format!("fundi-{report}-{from}-{to}.csv"),
            _ => format!("fundi-{report}.csv"),
        };
        assert_eq!(disposition, format!("attachment; filename=\"{name}\""));
        if body != want {
            failures.push(format!("{file}, over HTTP: {}\n{body}", first_difference(&body, &want)));
        }
    }
    assert!(failures.is_empty(), "{} reports differ from the hand-computed files:\n{}", failures.len(), failures.join("\n\n"));

    // Into a file: the same bytes, and nothing left beside it.
    let out = f.s.dir.path().join("sales.csv");
    f.s.cli(&["report", "sales", "--out", out.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), f.expected("sales.csv"));
    assert!(!f.s.dir.path().join("sales.csv.partial").exists());

    // Only operations: staff, a mentor and an artisan are refused, and so is a period that is not one.
    for dev in [&f.staff, &f.devices["M1"], &f.devices["A"]] {
        let (status, _, _, body) = f.http(dev, "/v1/reports/sales");
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("\"forbidden\""), "{body}");
    }
    for (path, status, code) in [
        ("/v1/reports/salez", 404, "not_found"),
        ("/v1/reports/sales?from=2026-09-31", 422, "invalid"),
        ("/v1/reports/sales?to=30%2F09%2F2026", 422, "invalid"),
        ("/v1/reports/sales?from=2026-10-01&to=2026-09-30", 422, "invalid"),
    ] {
        let (got, content_type, _, body) = f.http(&f.ops, path);
        assert_eq!((got, content_type.as_str()), (status, "application/json"), "{path}: {body}");
        assert!(body.contains(&format!("\"{code}\"")), "{path}: {body}");
    }
    let e = f.s.cli_fails(&["report", "salez"]);
    assert!(e.contains("no report is called \"salez\""), "{e}");
    let e = f.s.cli_fails(&["report", "sales", "--from", "2026-10-01", "--to", "2026-09-30"]);
    assert!(e.contains("before it starts"), "{e}");
}

/// A depot with nothing to report answers each report with its header row; a data directory
/// without a store is an error, and no store is created there.
#[test]
fn an_empty_depot_reports_headers_only_and_a_missing_one_is_an_error() {
    let s = Server::start();
    let ops = s.device("operations", "Operations", None);
    let resp = s.http().get(format!("{}/v1/reports/quality", s.url)).bearer_auth(&ops.token).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().unwrap(), "artisan_id,artisan_name,product,checks,passes,fails,pass_rate_percent\n");
    assert_eq!(s.cli(&["report", "active"]), "month,enrolled_artisans,new_artisans,active_artisans,selling_artisans\n");
    let out = std::process::Command::new(common::BIN)
        .args(["report", "sales", "--data-dir"])
        .arg(s.dir.path().join("nowhere"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no depot store"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!s.dir.path().join("nowhere").exists(), "a report creates no store");
}
