//! `wrapd-attach`: attach to, create and script wrapd sessions.

use std::process::ExitCode;

use wrapd_attach::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    // One thread: a key read, sent, echoed and drawn never waits for a
    // wake-up on another thread (half the echo latency, measured).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wrapd-attach: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(wrapd_attach::run(cli));
    // Whatever happened, the terminal is ours no longer.
    wrapd_attach::attach::restore_terminal();
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wrapd-attach: {e:#}");
            ExitCode::FAILURE
        }
    }
}
