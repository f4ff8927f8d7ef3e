//! A statement written out: CSV for a lender's spreadsheet, and a printable HTML page (A4, print
//! styles, no script) through a template checked at compile time (`templates/statement.html`,
//! askama: a field the template names and the view lacks does not build).
//!
//! The CSV is one table: `line` rows (one per ledger entry in the period), a `month_total` row
//! after each month's lines, then `period_total`, with `opening_balance` first and
//! `closing_balance` last. Amounts are KES minor units (cents) and, beside them, shillings with
//! two decimals.

use super::{Line, LineKind, Statement, Totals};
use askama::Template;
use fundi_sync::dates::Day;
use fundi_sync::money::{format_money, Language, Money};
use std::io::Write;

/// The CSV's header, in column order.
pub const CSV_COLUMNS: [&str; 19] = [
    "row",
    "month",
    "date",
    "kind",
    "description",
    "order_id",
    "reference",
    "quantity",
    "payout_id",
    "payout_state",
    "receipt",
    "note",
    "amount_minor",
    "amount_kes",
    "sales",
    "earned_minor",
    "refunded_minor",
    "paid_out_minor",
    "net_minor",
];

/// Shillings with two decimals, for a spreadsheet ("2500.50", "-120.00").
fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.unsigned_abs() / 100, minor.unsigned_abs() % 100)
}

fn kes(minor: i64) -> String {
    format_money(Money::kes_minor(minor), Language::English)
}

/// What a line says in words ("Sold: Kiondo basket x 2", "Paid to M-Pesa").
pub fn describe(line: &Line) -> String {
    let product = match (&line.product, line.quantity) {
        (Some(p), Some(q)) => format!("{p} x {q}"),
        (Some(p), None) => p.clone(),
        _ => line.order_id.clone().unwrap_or_default(),
    };
    match line.kind {
        LineKind::Sale => format!("Sold: {product}"),
        LineKind::Commission => format!("Commission on a mentee's sale: {product}"),
        LineKind::Refund => format!("Refunded: {product}"),
        LineKind::Payout => "Paid to M-Pesa".into(),
        LineKind::PayoutReturned => "M-Pesa payout failed: back on the balance".into(),
        LineKind::Other => "Other".into(),
    }
}

fn totals_row(w: &mut csv::Writer<impl Write>, row: &str, month: &str, t: &Totals) -> csv::Result<()> {
    let n = |v: i64| v.to_string();
    let paid_out = t.paid_out_minor + t.returned_minor;
    w.write_record([
        row,
        month,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        &n(t.net_minor),
        &decimal(t.net_minor),
        &t.sales.to_string(),
        &n(t.earned_minor),
        &n(t.refunded_minor),
        &n(paid_out),
        &n(t.net_minor),
    ])
}

fn balance_row(w: &mut csv::Writer<impl Write>, row: &str, day: Day, minor: i64) -> csv::Result<()> {
    let mut record = vec![row.to_string(), String::new(), day.to_string()];
    record.resize(12, String::new());
    record.extend([minor.to_string(), decimal(minor)]);
    record.resize(CSV_COLUMNS.len(), String::new());
    w.write_record(&record)
}

/// Write `s` as CSV to `out`.
pub fn write_csv(s: &Statement, out: impl Write) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_COLUMNS)?;
    balance_row(&mut w, "opening_balance", s.from, s.opening_minor)?;
    for m in &s.months {
        for l in &m.lines {
            w.write_record([
                "line",
                &m.month,
                &l.day.to_string(),
                l.kind.code(),
                &describe(l),
                l.order_id.as_deref().unwrap_or(""),
                l.reference.as_deref().unwrap_or(""),
                &l.quantity.map(|q| q.to_string()).unwrap_or_default(),
                l.payout_id.as_deref().unwrap_or(""),
                l.payout_state.unwrap_or(""),
                l.receipt.as_deref().unwrap_or(""),
                l.note.as_deref().unwrap_or(""),
                &l.amount_minor.to_string(),
                &decimal(l.amount_minor),
                "",
                "",
                "",
                "",
                "",
            ])?;
        }
        totals_row(&mut w, "month_total", &m.month, &m.totals)?;
    }
    totals_row(&mut w, "period_total", "", &s.totals)?;
    balance_row(&mut w, "closing_balance", s.to, s.closing_minor)?;
    w.flush()?;
    Ok(())
}

/// A line as the page shows it.
pub struct LineView {
    pub date: String,
    pub what: String,
    pub reference: String,
    pub status: String,
    pub amount: String,
    pub credit: bool,
}

/// Totals as the page shows them.
pub struct TotalsView {
    pub sales: u32,
    pub earned: String,
    pub refunded: String,
    pub paid_out: String,
    pub confirmed: String,
    pub net: String,
}

pub struct MonthView {
    pub title: String,
    pub lines: Vec<LineView>,
    pub totals: TotalsView,
}

/// The printable page (English: what lenders read).
#[derive(Template)]
#[template(path = "statement.html")]
pub struct StatementPage {
    pub name: String,
    pub account_id: String,
    pub role: String,
    pub period: String,
    pub generated: String,
    pub opening: String,
    pub closing: String,
    pub months: Vec<MonthView>,
    pub totals: TotalsView,
}

fn totals_view(t: &Totals) -> TotalsView {
    TotalsView {
        sales: t.sales,
        earned: kes(t.earned_minor),
        refunded: kes(t.refunded_minor),
        paid_out: kes(t.paid_out_minor + t.returned_minor),
        confirmed: kes(t.confirmed_paid_minor),
        net: kes(t.net_minor),
    }
}

const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// The page of `s`, generated on `today`.
pub fn html(s: &Statement, today: Day) -> Result<String, askama::Error> {
    let months = s
        .months
        .iter()
        .map(|m| {
            let (y, mo) = m.month.split_once('-').unwrap_or((&m.month, "1"));
            let title = format!("{} {y}", MONTHS.get(mo.parse::<usize>().unwrap_or(1).saturating_sub(1)).unwrap_or(&""));
            MonthView {
                title,
                lines: m
                    .lines
                    .iter()
                    .map(|l| LineView {
                        date: l.day.format(Language::English),
                        what: describe(l),
                        reference: l.reference.clone().or_else(|| l.payout_id.clone()).unwrap_or_default(),
                        status: match (l.payout_state, &l.receipt, &l.note) {
                            (Some(state), Some(receipt), _) => format!("{state}, M-Pesa receipt {receipt}"),
                            (Some(state), None, _) => state.to_string(),
                            (None, _, Some(note)) => note.clone(),
                            _ => String::new(),
                        },
                        amount: kes(l.amount_minor),
                        credit: l.amount_minor > 0,
                    })
                    .collect(),
                totals: totals_view(&m.totals),
            }
        })
        .collect();
    StatementPage {
        name: s.name.clone(),
        account_id: s.account_id.clone(),
        role: s.role.code().to_string(),
        period: format!("{} to {}", s.from.format(Language::English), s.to.format(Language::English)),
        generated: today.format(Language::English),
        opening: kes(s.opening_minor),
        closing: kes(s.closing_minor),
        months,
        totals: totals_view(&s.totals),
    }
    .render()
}
