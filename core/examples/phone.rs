//! A phone on the command line: the real core (`fundi_core::Store`, the one phone handle) over
//! its own SQLite file in a directory, enrolling with a depot and syncing through the sync API
//! exactly as the app does. For tests that drive a depot some other way and need a phone beside
//! it (the console's browser tests, `console-tests/`), and for trying a depot by hand.
//!
//! ```text
//! phone DIR enroll URL CODE               enroll with an enrollment code (the printed card's)
//! phone DIR sync                          push what is queued, pull the change feed
//! phone DIR orders                        the orders this phone sees
//! phone DIR command ORDER NAME [REASON]   queue an order command (accept, start_production, ...)
//! ```
//!
//! Each prints JSON on stdout; a failure prints `{"error": ..}` on stderr and exits with 1
//! (2 for a wrong command line). The device token is kept by the plaintext vault
//! (`Store::open`): this is a tool for tests, not an app.

use fundi_core::orders::{OrderHistoryEvent, OrderView};
use fundi_core::Store;
use fundi_sync::workflow::OrderCommand;
use serde_json::{json, Value};
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "usage: phone DIR (enroll URL CODE | sync | orders | command ORDER NAME [REASON])";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let Some((dir, rest)) = words.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(Path::new(dir), rest) {
        Ok(Some(out)) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{}", json!({ "error": e }));
            ExitCode::FAILURE
        }
    }
}

/// Run one subcommand on the phone in `dir`: its JSON, `None` for a command line not understood.
fn run(dir: &Path, words: &[&str]) -> Result<Option<Value>, String> {
    let open = || -> Result<Store, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Store::open(dir.join("phone.db")).map_err(|e| e.to_string())
    };
    let out = match words {
        ["enroll", url, code] => {
            let e = open()?.enroll_device(url, code).map_err(|e| e.to_string())?;
            json!({ "account_id": e.account_id, "role": e.role.code() })
        }
        ["sync"] => {
            let store = open()?;
            let r = store.sync_now(None).map_err(|e| e.to_string())?;
            let status = store.sync_status().map_err(|e| e.to_string())?;
            json!({
                "pushed": r.pushed, "refused": r.refused, "pulled": r.pulled,
                "pending": status.pending, "wedged": status.wedged,
            })
        }
        ["orders"] => Value::Array(open()?.list_orders().map_err(|e| e.to_string())?.iter().map(order).collect()),
        ["command", id, name, reason @ ..] if reason.len() <= 1 => {
            let command = OrderCommand::from_code(name).ok_or_else(|| format!("no such order command {name:?}"))?;
            let view = open()?.order_command(id, command, reason.first().map(|r| r.to_string())).map_err(|e| e.to_string())?;
            order(&view)
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

fn order(o: &OrderView) -> Value {
    let codes = |cs: &[OrderCommand]| cs.iter().map(|c| c.code()).collect::<Vec<_>>();
    json!({
        "id": o.id,
        "status": o.status.code(),
        "server_status": o.server_status.code(),
        "pending_commands": codes(&o.pending_commands),
        "commands": codes(&o.commands),
        "product": o.product,
        "quantity": o.quantity,
        "artisan_id": o.artisan_id,
        "note": o.note,
        "history": o.history.iter().map(event).collect::<Vec<_>>(),
    })
}

fn event(e: &OrderHistoryEvent) -> Value {
    json!({
        "command": e.command.map(OrderCommand::code),
        "status": e.status.code(),
        "at_ms": e.at_ms,
        "reason": e.reason,
        "photo": e.photo,
    })
}
