//! `fundi-depot mpesa-sim`: a simulator of Safaricom's Daraja B2C on a loopback port, for the
//! tests and the demo (`mpesa::sim`, ADR 0016). It prints `listening on http://ADDR` first, then
//! where its certificate is; configure the depot with that address as the M-Pesa base URL, the
//! consumer key and secret, initiator and short code given here, and the certificate.

use crate::mpesa::sim::{self, Settings, SimOptions};
use std::io::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct MpesaSimArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8089")]
    listen: String,
    /// The consumer key an app must present (HTTP Basic) for a token.
    #[arg(long, default_value = "fundi-sim-consumer-key")]
    consumer_key: String,
    /// The consumer secret that goes with it.
    #[arg(long, default_value = "fundi-sim-consumer-secret")]
    consumer_secret: String,
    /// The initiator (API operator) name B2C requests must carry.
    #[arg(long, default_value = "fundi_sim_initiator")]
    initiator_name: String,
    /// The initiator's password, which the SecurityCredential must decrypt to.
    #[arg(long, default_value = "Fundi#Sim2025")]
    initiator_password: String,
    /// The paying B2C short code (PartyA).
    #[arg(long, default_value = "600000")]
    shortcode: String,
    /// Lifetime of an OAuth token (Daraja's is 3599 s); short values let tests see a refresh.
    #[arg(long, default_value_t = 3599)]
    token_ttl_secs: u64,
    /// The paying account's balance at the first start, whole shillings.
    #[arg(long, default_value_t = 1_000_000)]
    float_kes: u64,
    /// A receiver that is not a registered M-Pesa customer (result 2040); repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    unregistered: Vec<String>,
    /// Delay before a result callback is sent, in milliseconds.
    #[arg(long, default_value_t = 300)]
    result_delay_ms: u64,
    /// Seed of the fault switches' random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the ledger and the key here across restarts (default: in memory, a new key each start).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Also write the simulator's certificate (PEM) to this file.
    #[arg(long)]
    certificate_out: Option<PathBuf>,
}

fn say(line: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}").and_then(|_| out.flush());
}

pub fn run(args: MpesaSimArgs) -> Result<(), Box<dyn std::error::Error>> {
    let opts = SimOptions {
        consumer_key: args.consumer_key,
        consumer_secret: args.consumer_secret,
        initiator_name: args.initiator_name,
        initiator_password: args.initiator_password,
        shortcode: args.shortcode,
        settings: Settings {
            token_ttl_secs: args.token_ttl_secs,
            result_delay_ms: args.result_delay_ms,
            unregistered: args.unregistered.into_iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect(),
        },
        float_kes: args.float_kes,
        seed: args.seed,
        state_dir: args.state_dir,
    };
    let sim = sim::Sim::new(opts)?;
    if let Some(path) = &args.certificate_out {
        std::fs::write(path, sim.certificate_pem())?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let tcp = tokio::net::TcpListener::bind(&args.listen).await?;
        let addr = tcp.local_addr()?;
        if !addr.ip().is_loopback() {
            eprintln!("mpesa-sim: listening on a non-loopback address; its control endpoints (/sim/...) have no authentication");
        }
        say(&format!("listening on http://{addr}"));
        say(&format!("certificate at http://{addr}/sim/certificate; record at http://{addr}/sim/ledger"));
        // Not a graceful stop: a request held by a hang switch would hold it forever, and the
        // ledger is saved before anything is answered, so there is nothing to finish.
        tokio::select! {
            served = axum::serve(tcp, sim::router(sim)) => served?,
            _ = stopped() => eprintln!("mpesa-sim: stopping"),
        }
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

/// Ctrl-C or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
