//! A sales statement for one account over a chosen period (issue 11 item 6, ADR 0023): what a
//! micro-loan lender asks an artisan for as her record of income. Built from her money ledger
//! (ADR 0020: the depot's own append-only record of what she earned and was paid) and the
//! orders the entries name: each delivered order with its product, quantity and agreed price,
//! refunds, payouts with their M-Pesa receipts, totals per month and for the period, and the
//! balance before and after it. Rendered as CSV and as a printable page (`render`).
//!
//! Only the account herself and operations may have it (`forbidden` to anyone else): it shows
//! her earnings, which the sync model sends to no one else either.

pub mod render;

use crate::store::accounts::{get_account, Caller};
use crate::store::sql::Tx;
use crate::store::{get_record, money, ApiError};
use fundi_sync::dates::Day;
use fundi_sync::money_ledger::{entry_statuses, EntryKind, EntryStatus};
use fundi_sync::{Kind, OrderBody, Role};
use std::collections::BTreeMap;

/// The longest period one statement covers (about three years): a lender asks for months.
pub const PERIOD_MAX_DAYS: i64 = 3 * 366;
/// The most lines one statement lists; a longer period is refused with a typed error.
pub const LINES_MAX: usize = 20_000;

/// What one line of the statement records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// An order delivered: she earned its agreed price.
    Sale,
    /// A commission on a mentee's sale (a mentor's statement).
    Commission,
    /// A sale undone after delivery.
    Refund,
    /// Money sent to her M-Pesa.
    Payout,
    /// A payout that failed, its amount back on her balance.
    PayoutReturned,
    /// An entry of a kind this depot does not know (counted by its sign).
    Other,
}

impl LineKind {
    pub fn code(self) -> &'static str {
        match self {
            LineKind::Sale => "sale",
            LineKind::Commission => "commission",
            LineKind::Refund => "refund",
            LineKind::Payout => "payout",
            LineKind::PayoutReturned => "payout_returned",
            LineKind::Other => "other",
        }
    }
}

/// One line: an entry of her ledger dated in the period, with what it refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub day: Day,
    pub kind: LineKind,
    /// Signed KES minor units: credits positive.
    pub amount_minor: i64,
    pub order_id: Option<String>,
    /// The order's product, quantity and the shop's reference, when the order is known.
    pub product: Option<String>,
    pub quantity: Option<u32>,
    pub reference: Option<String>,
    pub payout_id: Option<String>,
    /// For a payout: "paid", "on its way" or "failed"; the receipt when paid; a refund's or a
    /// failed payout's reason.
    pub payout_state: Option<&'static str>,
    pub receipt: Option<String>,
    pub note: Option<String>,
}

/// Sums over a month or the period (KES minor units).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Orders delivered (sales lines).
    pub sales: u32,
    /// Sold: the agreed prices of the orders delivered, and commissions.
    pub earned_minor: i64,
    /// Refunds after delivery (negative).
    pub refunded_minor: i64,
    /// Sent to M-Pesa (negative), and given back when a payout failed (positive).
    pub paid_out_minor: i64,
    pub returned_minor: i64,
    /// Of the payouts sent, those M-Pesa confirmed paid.
    pub confirmed_paid_minor: i64,
    /// Everything: how the balance moved.
    pub net_minor: i64,
}

impl Totals {
    fn add(&mut self, line: &Line) {
        match line.kind {
            LineKind::Sale => {
                self.sales += 1;
                self.earned_minor += line.amount_minor;
            }
            LineKind::Commission => self.earned_minor += line.amount_minor,
            LineKind::Refund => self.refunded_minor += line.amount_minor,
            LineKind::Payout => {
                self.paid_out_minor += line.amount_minor;
                if line.payout_state == Some(PAID) {
                    self.confirmed_paid_minor -= line.amount_minor;
                }
            }
            LineKind::PayoutReturned => self.returned_minor += line.amount_minor,
            LineKind::Other => {}
        }
        self.net_minor += line.amount_minor;
    }
}

/// One calendar month of the period, its lines oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    pub lines: Vec<Line>,
    pub totals: Totals,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub account_id: String,
    pub name: String,
    pub role: Role,
    pub from: Day,
    pub to: Day,
    /// Her balance before the period's first day and after its last.
    pub opening_minor: i64,
    pub closing_minor: i64,
    /// Only months with lines.
    pub months: Vec<Month>,
    pub totals: Totals,
}

const PAID: &str = "paid";

/// The statement of `account` from `from` to `to` (inclusive days, East Africa Time), for
/// `caller`: the account herself or operations.
pub fn statement(conn: &Tx, caller: &Caller, account: &str, from: Day, to: Day) -> Result<Statement, ApiError> {
    if caller.role != Role::Operations && caller.account_id != account {
        return Err(ApiError::forbidden("a statement is for its account and for operations"));
    }
    if to < from {
        return Err(ApiError::invalid("the period ends before it starts"));
    }
    if to.0 - from.0 >= PERIOD_MAX_DAYS {
        return Err(ApiError::invalid(format!("a statement covers at most {PERIOD_MAX_DAYS} days")));
    }
    let who = get_account(conn, account)?.ok_or_else(|| ApiError::not_found("no such account"))?;
    let (entries, _) = money::ledger_of(conn, account)?;
    let entries: Vec<_> = entries.into_iter().filter(|e| e.currency == "KES").collect();
    let statuses = entry_statuses(&entries);
    let mut opening_minor = 0i64;
    let mut lines = vec![];
    for e in &entries {
        let day = Day::of_ms(e.hlc.wall_ms);
        if day < from {
            opening_minor = opening_minor.saturating_add(e.amount_minor);
            continue;
        }
        if day > to {
            continue;
        }
        let kind = match EntryKind::from_code(&e.kind) {
            Some(EntryKind::Earning) => LineKind::Sale,
            Some(EntryKind::Commission) => LineKind::Commission,
            Some(EntryKind::Reversal) => LineKind::Refund,
            Some(EntryKind::Payout) => LineKind::Payout,
            Some(EntryKind::PayoutReturned) => LineKind::PayoutReturned,
            // Its payout's line says it was paid, with the receipt.
            Some(EntryKind::PayoutPaid) => continue,
            None => LineKind::Other,
        };
        if lines.len() == LINES_MAX {
            return Err(ApiError::invalid(format!("the period holds more than {LINES_MAX} entries: choose a shorter one")));
        }
        let order = match &e.order_id {
            Some(id) => get_record(conn, Kind::Order.code(), id)?.and_then(|r| serde_json::from_value::<OrderBody>(r.body).ok()),
            None => None,
        };
        let (payout_state, receipt) = match (kind, statuses.get(&e.id)) {
            (LineKind::Payout, Some(EntryStatus::Paid { receipt, .. })) => (Some(PAID), Some(receipt.clone())),
            (LineKind::Payout, Some(EntryStatus::Failed { .. })) => (Some("failed"), None),
            (LineKind::Payout, _) => (Some("on its way"), None),
            _ => (None, None),
        };
        lines.push(Line {
            day,
            kind,
            amount_minor: e.amount_minor,
            order_id: e.order_id.clone(),
            product: order.as_ref().map(|o| o.product.clone()),
            quantity: order.as_ref().map(|o| o.quantity),
            reference: order.as_ref().map(|o| format!("{} {}", o.source, o.external_ref)),
            payout_id: e.payout_id.clone(),
            payout_state,
            receipt,
            note: e.note.clone(),
        });
    }
    lines.sort_by_key(|l| l.day);
    let mut by_month: BTreeMap<String, Month> = BTreeMap::new();
    let mut totals = Totals::default();
    for line in lines {
        let (y, m, _) = line.day.civil();
        let key = format!("{y:04}-{m:02}");
        let month = by_month.entry(key.clone()).or_insert_with(|| Month { month: key, lines: vec![], totals: Totals::default() });
        month.totals.add(&line);
        totals.add(&line);
        month.lines.push(line);
    }
    Ok(Statement {
        account_id: account.to_string(),
        name: who.name,
        role: who.role,
        from,
        to,
        opening_minor,
        closing_minor: opening_minor.saturating_add(totals.net_minor),
        months: by_month.into_values().collect(),
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::render::write_csv;
    use super::*;
    use crate::store::accounts::{enroll, NewEnrollment};
    use crate::store::{put_record, Db};
    use fundi_sync::hlc::Timestamp;
    use fundi_sync::money_ledger::{MoneyBody, MoneyEntry};
    use fundi_sync::Extra;
    use serde_json::json;

    fn day(text: &str) -> Day {
        Day::parse(text).unwrap()
    }

    /// Noon (East Africa Time) of `text`.
    fn noon(text: &str) -> Timestamp {
        Timestamp { wall_ms: (day(text).start_ms() + 12 * 3_600_000) as u64, counter: 0, node: 1 }
    }

    /// Akinyi's ledger from October to December, written as the depot writes it.
    fn akinyi(db: &Db) -> String {
        db.write(|tx| {
            let me = enroll(
                tx,
                &Caller::local_operator(),
                NewEnrollment { role: Role::Artisan, name: "Akinyi Otieno".into(), mentor_id: None, depot_id: None },
            )?
            .account_id;
            for (id, product, quantity, price, reference) in
                [("o1", "Kiondo basket", 2, 250_000, "S-1"), ("o2", "Bowl", 1, 120_000, "S-2"), ("o3", "Mat", 1, 80_000, "S-3")]
            {
                let order = json!({"status": "delivered", "artisan_id": me, "product": product, "quantity": quantity,
                    "price_minor": price, "source": "shop", "external_ref": reference, "updated_hlc": noon("2026-10-01")});
                put_record(tx, "order", id, Some(&me), None, &order, None)?;
            }
            let entries = [
                ("earning:o1", "earning", 250_000, Some("o1"), None, None, "2026-10-28"),
                ("payout:p1", "payout", -250_000, None, Some("p1"), None, "2026-10-31"),
                ("payout_paid:p1", "payout_paid", 0, None, Some("p1"), Some("QK1AB2CD3E"), "2026-11-01"),
                ("earning:o2", "earning", 120_000, Some("o2"), None, None, "2026-11-05"),
                ("reversal:o2", "reversal", -120_000, Some("o2"), None, Some("Returned: cracked"), "2026-11-09"),
                ("earning:o3", "earning", 80_000, Some("o3"), None, None, "2026-11-20"),
                ("payout:p2", "payout", -80_000, None, Some("p2"), None, "2026-11-28"),
                ("payout_returned:p2", "payout_returned", 80_000, None, Some("p2"), Some("2040: not registered"), "2026-11-29"),
                ("earning:o4", "earning", 50_000, Some("o4"), None, None, "2026-12-03"),
            ];
            for (id, kind, amount_minor, order, payout, note, at) in entries {
                let entry = MoneyEntry {
                    id: id.into(),
                    kind: kind.into(),
                    amount_minor,
                    currency: "KES".into(),
                    order_id: order.map(Into::into),
                    payout_id: payout.map(Into::into),
                    note: note.map(Into::into),
                    hlc: noon(at),
                    extra: Extra::new(),
                };
                let body = serde_json::to_value(MoneyBody { owner: me.clone(), entry, extra: Extra::new() }).unwrap();
                put_record(tx, "money", id, Some(&me), None, &body, None)?;
            }
            Ok(me)
        })
        .unwrap()
    }

    /// November, computed by hand: before it, KSh 2,500 earned and paid (balance 0); in it two
    /// sales (KSh 1,200 and 800), the first refunded, a payout of KSh 800 that failed and came
    /// back; after it, KSh 800. December's sale is not in it; the October payout's receipt,
    /// dated 1 November, is no line of its own.
    const NOVEMBER_CSV: &str = "\
row,month,date,kind,description,order_id,reference,quantity,payout_id,payout_state,receipt,note,amount_minor,amount_kes,sales,earned_minor,refunded_minor,paid_out_minor,net_minor
opening_balance,,2026-11-01,,,,,,,,,,0,0.00,,,,,
line,2026-11,2026-11-05,sale,Sold: Bowl x 1,o2,shop S-2,1,,,,,120000,1200.00,,,,,
line,2026-11,2026-11-09,refund,Refunded: Bowl x 1,o2,shop S-2,1,,,,Returned: cracked,-120000,-1200.00,,,,,
line,2026-11,2026-11-20,sale,Sold: Mat x 1,o3,shop S-3,1,,,,,80000,800.00,,,,,
line,2026-11,2026-11-28,payout,Paid to M-Pesa,,,,p2,failed,,,-80000,-800.00,,,,,
line,2026-11,2026-11-29,payout_returned,M-Pesa payout failed: back on the balance,,,,p2,,,2040: not registered,80000,800.00,,,,,
month_total,2026-11,,,,,,,,,,,80000,800.00,2,200000,-120000,0,80000
period_total,,,,,,,,,,,,80000,800.00,2,200000,-120000,0,80000
closing_balance,,2026-11-30,,,,,,,,,,80000,800.00,,,,,
";

    #[test]
    fn a_month_lists_each_entry_with_its_order_and_totals_computed_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let me = akinyi(&db);
        let s = db.read(|tx| statement(tx, &Caller::local_operator(), &me, day("2026-11-01"), day("2026-11-30"))).unwrap();
        let mut csv = vec![];
        write_csv(&s, &mut csv).unwrap();
        assert_eq!(String::from_utf8(csv).unwrap(), NOVEMBER_CSV);
    }

    #[test]
    fn two_months_carry_their_own_totals_and_the_paid_payout_its_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let me = akinyi(&db);
        let s = db.read(|tx| statement(tx, &Caller::local_operator(), &me, day("2026-10-01"), day("2026-11-30"))).unwrap();
        assert_eq!((s.opening_minor, s.closing_minor), (0, 80_000));
        assert_eq!(s.months.iter().map(|m| m.month.as_str()).collect::<Vec<_>>(), ["2026-10", "2026-11"]);
        let october = &s.months[0];
        assert_eq!(
            october.totals,
            Totals {
                sales: 1,
                earned_minor: 250_000,
                paid_out_minor: -250_000,
                confirmed_paid_minor: 250_000,
                ..Totals::default()
            }
        );
        assert_eq!((october.lines[1].payout_state, october.lines[1].receipt.as_deref()), (Some("paid"), Some("QK1AB2CD3E")));
        assert_eq!(
            s.totals,
            Totals {
                sales: 3,
                earned_minor: 450_000,
                refunded_minor: -120_000,
                paid_out_minor: -330_000,
                returned_minor: 80_000,
                confirmed_paid_minor: 250_000,
                net_minor: 80_000,
            }
        );
        let page = super::render::html(&s, day("2026-12-01")).unwrap();
        for text in [
            "Akinyi Otieno",
            "October 2026",
            "M-Pesa receipt QK1AB2CD3E",
            "Returned: cracked",
            "KSh 4,500",
            "1 October 2026 to 30 November 2026",
        ] {
            assert!(page.contains(text), "{text} missing from the page");
        }
    }

    #[test]
    fn only_the_account_and_operations_may_have_it_and_the_period_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let me = akinyi(&db);
        let run = |caller: Caller, from: &str, to: &str| db.read(|tx| statement(tx, &caller, &me, day(from), day(to)));
        let as_her = Caller { account_id: me.clone(), role: Role::Artisan, device_id: None };
        assert!(run(as_her, "2026-11-01", "2026-11-30").is_ok());
        for role in [Role::Artisan, Role::Mentor, Role::Staff] {
            let other = Caller { account_id: "someone-else".into(), role, device_id: None };
            assert_eq!(run(other, "2026-11-01", "2026-11-30").unwrap_err().code, "forbidden", "{role:?}");
        }
        assert_eq!(run(Caller::local_operator(), "2026-11-30", "2026-11-01").unwrap_err().code, "invalid");
        assert_eq!(run(Caller::local_operator(), "2020-01-01", "2026-11-30").unwrap_err().code, "invalid", "over three years");
    }
}
