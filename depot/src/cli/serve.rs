//! `fundi-depot serve`: the sync server on a data directory (created on first start, no setup),
//! over TLS with the depot's own key (made on first start) unless told otherwise. It prunes
//! tombstones older than the retention horizon at start and every hour (ADR 0012). It holds the
//! data directory's lock while it runs (`store::data_dir`), so a restore cannot swap the store
//! under it.

use crate::http;
use crate::http::tls::{DepotKey, Slot};
use crate::mpesa::client::{MpesaClient, MpesaConfig};
use crate::payouts::{Engine, EngineConfig};
use crate::store::data_dir::DataDirLock;
use crate::store::payouts::{self, PayoutPolicy, Timing};
use crate::store::retention::{self, DAY_MS, DEFAULT_RETENTION_DAYS};
use crate::store::shops::ShopRates;
use crate::store::uploads::{self, UploadPolicy};
use crate::store::{now_ms, Db};
use fundi_sync::limits::{UPLOAD_DEPOT_QUOTA_BYTES, UPLOAD_DEVICE_QUOTA_BYTES, UPLOAD_EXPIRY_MS};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How often the running server prunes.
const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Where the depot keeps its database (created if missing).
    #[arg(long, default_value = "fundi-depot-data")]
    data_dir: PathBuf,
    /// Keep the store in this PostgreSQL database (`postgres://user@host:port/name`) rather
    /// than the data directory's SQLite file (ADR 0029). The data directory remembers it, so
    /// later commands and starts need only `--data-dir`; several processes may serve one
    /// database, each with its own data directory naming it (blobs then belong on a shared
    /// filesystem).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// The address shoppers reach this depot at (e.g. https://shop.example.org): the shop's
    /// feed links to its pages and photos under it. Without it, under the address each request
    /// names (its Host header).
    #[arg(long)]
    public_url: Option<http::PublicUrl>,
    /// Load the demo data set (accounts, orders) into an empty store and print its enrollment codes.
    #[arg(long)]
    demo: bool,
    /// Lifetime of device credentials in seconds (rotation renews them).
    #[arg(long, default_value_t = crate::store::DEFAULT_TOKEN_TTL_MS / 1000)]
    token_ttl_secs: u64,
    /// A PEM certificate (chain) to serve instead of the depot's own self-signed one (e.g. a
    /// public certificate for a central server). Needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP, without TLS: for development only (phones refuse it).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    insecure_http: bool,
    /// Unfinished uploads expire this long after their last progress, in seconds; then their
    /// bytes are reclaimed.
    #[arg(long, default_value_t = UPLOAD_EXPIRY_MS / 1000)]
    upload_expiry_secs: u64,
    /// Bytes one device may hold in unfinished uploads, in KiB.
    #[arg(long, default_value_t = UPLOAD_DEVICE_QUOTA_BYTES / 1024)]
    upload_device_quota_kib: u64,
    /// Bytes all devices together may hold in unfinished uploads, in KiB.
    #[arg(long, default_value_t = UPLOAD_DEPOT_QUOTA_BYTES / 1024)]
    upload_depot_quota_kib: u64,
    /// Largest request body accepted on the wire, in KiB (an upload's PATCH is bounded by the
    /// upload's own length instead).
    #[arg(long, default_value_t = http::MAX_BODY / 1024)]
    max_body_kib: usize,
    /// Keep deleted drafts and scope exits this many days; a phone away longer re-syncs in full.
    #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS)]
    tombstone_retention_days: u64,
    /// M-Pesa (Daraja B2C) configuration: a file of FUNDI_MPESA_*=value lines (ADR 0016). Without
    /// it, the FUNDI_MPESA_* environment variables if FUNDI_MPESA_BASE_URL is set; without
    /// either, no payout is sent (batches can still be created and approved).
    #[arg(long)]
    mpesa_config: Option<PathBuf>,
    /// Also serve the M-Pesa callback routes, and only them, as plain HTTP on this loopback
    /// address (e.g. 127.0.0.1:8081), for a front that holds a public certificate (a reverse
    /// proxy or a tunnel): Daraja posts only to a publicly trusted HTTPS address, which the
    /// depot's own self-signed key is not. Without it the routes are served on --listen only.
    #[arg(long, requires = "mpesa_config")]
    mpesa_callback_listen: Option<String>,
    /// A payout batch whose total is above this many shillings needs a second operations account's approval.
    #[arg(long, default_value_t = payouts::DEFAULT_APPROVAL_ABOVE_MINOR / 100)]
    payout_approval_above_kes: i64,
    /// How often the payout engine looks for payouts to send or reconcile, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    payout_tick_ms: u64,
    /// How long to wait for a payment's result before asking its status, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    payout_result_wait_ms: u64,
    /// How long before a request that was not accepted is sent again, or an unanswered status
    /// query asked again, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    payout_retry_ms: u64,
    /// Refused shop order deliveries accepted from one client address per minute; then every
    /// delivery from it is refused `rate_limited` until the minute ends.
    #[arg(long, default_value_t = fundi_sync::limits::SHOP_REFUSALS_PER_MINUTE)]
    shop_refusals_per_minute: u32,
    /// Shop order deliveries taken from one shop per minute; then `rate_limited`.
    #[arg(long, default_value_t = fundi_sync::limits::SHOP_DELIVERIES_PER_MINUTE)]
    shop_deliveries_per_minute: u32,
    /// Requests started for one payout before it fails.
    #[arg(long, default_value_t = 5)]
    payout_max_attempts: u32,
}

/// The M-Pesa configuration, if the depot has one.
fn mpesa_config(args: &ServeArgs) -> Result<Option<MpesaConfig>, Box<dyn std::error::Error>> {
    if let Some(path) = &args.mpesa_config {
        return Ok(Some(MpesaConfig::from_file(path)?));
    }
    if std::env::var_os(crate::mpesa::client::ENV_BASE_URL).is_some() {
        return Ok(Some(MpesaConfig::from_env()?));
    }
    Ok(None)
}

/// Prune once; a failure is reported and the server goes on (the next run retries).
fn prune(db: &Db, retention_ms: u64) {
    match retention::prune(db, retention_ms, now_ms()) {
        Ok(p) if p.tombstones + p.exits > 0 => {
            // On stderr: stdout carries only the address line.
            eprintln!("pruned {} tombstones and {} scope exits (feed pruned up to {})", p.tombstones, p.exits, p.pruned_seq)
        }
        Ok(_) => {}
        Err(e) => eprintln!("pruning tombstones failed: {e}"),
    }
}

/// Serve the M-Pesa callback routes as plain HTTP on `listen`, which must be a loopback address
/// (the secret path and the results must not cross a network in clear), until the process ends.
async fn serve_callbacks(listen: &str, routes: axum::Router) -> Result<(), Box<dyn std::error::Error>> {
    let addr: std::net::SocketAddr =
        listen.parse().map_err(|_| format!("--mpesa-callback-listen {listen}: not an address such as 127.0.0.1:8081"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "--mpesa-callback-listen {listen}: plain HTTP only on a loopback address, behind a front with a public certificate"
        )
        .into());
    }
    let tcp = tokio::net::TcpListener::bind(addr).await?;
    // On stderr: stdout carries the depot's own address lines.
    eprintln!("M-Pesa callbacks on http://{} (plain HTTP, loopback only)", tcp.local_addr()?);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(tcp, routes).await {
            eprintln!("M-Pesa callback listener stopped: {e}");
        }
    });
    Ok(())
}

pub fn run(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut db = match &args.database {
        Some(url) => Db::open_with_database(&args.data_dir, url)?,
        None => Db::open(&args.data_dir)?,
    };
    // Held while the server runs: `restore` never puts a store in place under it.
    let _serving = DataDirLock::take(&args.data_dir)?;
    db.token_ttl_ms = args.token_ttl_secs.saturating_mul(1000);
    db.uploads = UploadPolicy {
        expiry_ms: args.upload_expiry_secs.saturating_mul(1000),
        device_quota_bytes: args.upload_device_quota_kib.saturating_mul(1024),
        depot_quota_bytes: args.upload_depot_quota_kib.saturating_mul(1024),
    };
    // Chunks of PATCHes a stop cut off, expired uploads, uploads whose last check a kill cut.
    let r = uploads::recover(&db)?;
    if r.uploads + r.stray_files > 0 {
        eprintln!("reclaimed {} expired uploads ({} bytes) and {} stray upload files", r.uploads, r.bytes, r.stray_files);
    }
    db.payouts = PayoutPolicy { approval_above_minor: args.payout_approval_above_kes.saturating_mul(100) };
    db.shop_rates =
        ShopRates { refusals_per_minute: args.shop_refusals_per_minute, deliveries_per_minute: args.shop_deliveries_per_minute };
    let mpesa = mpesa_config(&args)?;
    if args.demo {
        crate::cli::seed::seed_demo(&db)?;
    }
    let security = if args.insecure_http {
        http::Security::Plain
    } else {
        let key = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => DepotKey::load(cert, key)?,
            _ => DepotKey::current(&args.data_dir)?,
        };
        http::Security::Tls { key, next: DepotKey::in_slot(&args.data_dir, Slot::Next)? }
    };
    let retention_ms = args.tombstone_retention_days.saturating_mul(DAY_MS);
    prune(&db, retention_ms);
    let db = Arc::new(db);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        // The payout engine and its callback routes, when M-Pesa is configured.
        let (engine, callbacks) = match mpesa {
            Some(mpesa) => {
                let config = EngineConfig {
                    tick: Duration::from_millis(args.payout_tick_ms.max(10)),
                    timing: Timing {
                        result_wait_ms: args.payout_result_wait_ms as i64,
                        retry_ms: args.payout_retry_ms as i64,
                        max_attempts: i64::from(args.payout_max_attempts.max(1)),
                    },
                    concurrency: 8,
                };
                let engine = Engine::new(db.clone(), MpesaClient::new(mpesa)?, config);
                let routes = engine.callback_router()?;
                if let Some(listen) = &args.mpesa_callback_listen {
                    serve_callbacks(listen, routes.clone()).await?;
                }
                (Some(tokio::spawn(engine.run())), Some(routes))
            }
            None => (None, None),
        };
        let pruning = db.clone();
        let pruner = tokio::spawn(async move {
            let mut every = tokio::time::interval_at(tokio::time::Instant::now() + PRUNE_EVERY, PRUNE_EVERY);
            loop {
                every.tick().await;
                let db = pruning.clone();
                let _ = tokio::task::spawn_blocking(move || prune(&db, retention_ms)).await;
            }
        });
        let max_body = args.max_body_kib.saturating_mul(1024);
        let served = http::serve(db, &args.listen, max_body, security, callbacks, args.public_url.clone()).await;
        // Its handle on the store goes with it, so the store closes when the server stops.
        pruner.abort();
        let _ = pruner.await;
        if let Some(e) = engine {
            e.abort();
            let _ = e.await;
        }
        served
    })?;
    Ok(())
}
