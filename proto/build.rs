//! Compiles `wrapd/v1/*.proto` (the API) and `wrapd/state/v1/*.proto` (the
//! state a daemon hands to its successor) with `protox` (pure Rust: no protoc
//! needed).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "wrapd/v1/mux.proto",
        "wrapd/v1/share.proto",
        "wrapd/v1/upgrade.proto",
        "wrapd/state/v1/terminal.proto",
        "wrapd/state/v1/handover.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["."])?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
