//! `fundi-depot`: the one command line for depot staff and operations. Each subcommand lives in
//! its own file under `cli/`; this file only parses arguments and dispatches. The sync server
//! is `http` (routes) over `store` (the embedded SQLite store and the rules it applies);
//! `mpesa` is the Daraja B2C client and its simulator (ADR 0016); `payouts` the payout engine
//! that sends payouts through it and takes Daraja's callbacks (ADR 0019); `reports` the M&E
//! reports, streamed as CSV (ADR 0022); `statement` an account's sales statement for a lender
//! (ADR 0023).

mod cli;
mod http;
mod mpesa;
mod payouts;
mod reports;
mod statement;
mod store;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "fundi-depot", version, about = "Fundi depot: the sync server and the tools of depot staff and operations")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the sync server on a data directory (the main job).
    Serve(cli::serve::ServeArgs),
    /// Show the depot's TLS key, prepare the next one, or switch to it.
    TlsKey(cli::tls_key::TlsKeyArgs),
    /// Create an account and print its one-time enrollment code.
    Enroll(cli::enroll::EnrollArgs),
    /// Import incoming orders from a CSV or JSON file.
    ImportOrders(cli::import_orders::ImportOrdersArgs),
    /// Assign an order to an artisan.
    Assign(cli::assign::AssignArgs),
    /// Move an artisan to another mentor (or to none).
    SetMentor(cli::set_mentor::SetMentorArgs),
    /// Add and list the depots of the deployment (a single box is one depot, the default).
    Depot(cli::depot::DepotArgs),
    /// Move an account (artisan, mentor, staff) to another depot.
    SetDepot(cli::set_depot::SetDepotArgs),
    /// Remove deleted drafts and scope exits older than the retention horizon now.
    Prune(cli::prune::PruneArgs),
    /// List what waits at the depot, orders to assign, and stock.
    ListDepot(cli::list_depot::ListDepotArgs),
    /// List, verify (rehash) and reclaim the blob store: photos and unfinished uploads.
    Blobs(cli::blobs::BlobsArgs),
    /// Create, edit, submit and list catalog drafts on a local phone database (the embedded default).
    Demo(cli::demo::DemoArgs),
    /// Prepare camera photos as the phone does (upright, no metadata, 1600 px + thumbnail, coached) into a directory; prints JSON.
    PreparePhotos(cli::prepare_photos::PrepareArgs),
    /// Run a simulator of Safaricom's Daraja B2C (M-Pesa payouts) for tests and the demo.
    MpesaSim(cli::mpesa_sim::MpesaSimArgs),
    /// Show an account's money ledger (earnings, payouts, refunds) and its balance.
    Ledger(cli::money::LedgerArgs),
    /// Refund a delivered order: a reversing entry undoes its earning.
    Refund(cli::money::RefundArgs),
    /// Show the mentors' commission rates, or set a new one from a day on.
    CommissionRate(cli::money::CommissionRateArgs),
    /// Show what a unit of each shop currency is worth in shillings, or set a new rate from a day on.
    ExchangeRate(cli::money::ExchangeRateArgs),
    /// Show the platform's ledger: the margin on each delivered sale of a shop, and the totals.
    Margins(cli::money::MarginsArgs),
    /// What became of payouts: those that ended after a cursor (for the earnings ledger), totals.
    Payouts(cli::payouts::PayoutsArgs),
    /// A one-time code with which a staff, operations or mentor account sets its console password.
    ConsoleCode(cli::console_code::ConsoleCodeArgs),
    /// An account's sales statement over a period (for a micro-loan application), as a printable page or CSV.
    Statement(cli::statement::StatementArgs),
    /// Write an M&E report as CSV (sales, price-bands, cohorts, lead-times, quality, active).
    Report(cli::report::ReportArgs),
    /// Apply the store's pending migrations now (--check: only report; exit status 2 when any are pending).
    Migrate(cli::migrate::MigrateArgs),
    /// Back up a data directory while its depot serves: a consistent snapshot, its blobs, the keys, a manifest.
    Backup(cli::backup::BackupArgs),
    /// Restore a backup into a data directory (checked first; --replace moves a store already there aside).
    Restore(cli::restore::RestoreArgs),
    /// Add, list and revoke the shops that send orders by the webhook; see their deliveries.
    Shop(cli::shop::ShopArgs),
    /// Write the store (SQLite or PostgreSQL) as a new SQLite file, every table checked against it.
    Export(cli::transfer::ExportArgs),
    /// Load an exported file into a new store, or into a PostgreSQL database the data directory then uses (moving a depot to PostgreSQL).
    Import(cli::transfer::ImportArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    // What a command that succeeded exits with (`migrate --check` tells pending migrations by it).
    let mut return_code = ExitCode::SUCCESS;
    let result = match args.command {
        Command::Serve(a) => cli::serve::run(a),
        Command::TlsKey(a) => cli::tls_key::run(a),
        Command::Enroll(a) => cli::enroll::run(a),
        Command::ImportOrders(a) => cli::import_orders::run(a),
        Command::Assign(a) => cli::assign::run(a),
        Command::SetMentor(a) => cli::set_mentor::run(a),
        Command::Depot(a) => cli::depot::run(a),
        Command::SetDepot(a) => cli::set_depot::run(a),
        Command::Prune(a) => cli::prune::run(a),
        Command::ListDepot(a) => cli::list_depot::run(a),
        Command::Blobs(a) => cli::blobs::run(a),
        Command::Demo(a) => cli::demo::run(a),
        Command::PreparePhotos(a) => cli::prepare_photos::run(a),
        Command::MpesaSim(a) => cli::mpesa_sim::run(a),
        Command::Ledger(a) => cli::money::ledger(a),
        Command::Refund(a) => cli::money::refund(a),
        Command::CommissionRate(a) => cli::money::commission_rate(a),
        Command::ExchangeRate(a) => cli::money::exchange_rate(a),
        Command::Margins(a) => cli::money::margins(a),
        Command::Payouts(a) => cli::payouts::run(a),
        Command::Statement(a) => cli::statement::run(a),
        Command::ConsoleCode(a) => cli::console_code::run(a),
        Command::Report(a) => cli::report::run(a),
        Command::Shop(a) => cli::shop::run(a),
        Command::Migrate(a) => cli::migrate::run(a).map(|code| return_code = code),
        Command::Backup(a) => cli::backup::run(a),
        Command::Restore(a) => cli::restore::run(a),
        Command::Export(a) => cli::transfer::export(a),
        Command::Import(a) => cli::transfer::import(a),
    };
    match result {
        Ok(()) => return_code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
