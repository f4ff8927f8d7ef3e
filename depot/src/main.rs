//! `fundi-depot`: the one command line for depot staff and operations. Each subcommand lives in
//! its own file under `cli/`; this file only parses arguments and dispatches.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "fundi-depot", version, about = "Fundi depot: demo, and (as they land) sync server and tools")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, edit, submit and list catalog drafts on a local phone database (the embedded default).
    Demo(cli::demo::DemoArgs),
    /// Prepare camera photos as the phone does (upright, no metadata, 1600 px + thumbnail, coached) into a directory; prints JSON.
    PreparePhotos(cli::prepare_photos::PrepareArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Command::Demo(a) => cli::demo::run(a),
        Command::PreparePhotos(a) => cli::prepare_photos::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
