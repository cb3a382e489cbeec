//! Compiles `wrapd/v1/*.proto` (the API) and `wrapd/state/v1/*.proto` (the
//! state a daemon hands to its successor) with `protox` (pure Rust: no protoc
//! needed), and derives from the API's descriptors the schema table the web
//! page's protobuf codec reads (`web_schema.rs`; `OUT_DIR/web_schema.js`).

#[path = "build/web_schema.rs"]
mod web_schema;

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
    println!("cargo:rerun-if-changed=build/web_schema.rs");
    let fds = protox::compile(files, ["."])?;
    let js = web_schema::generate(&fds, web_schema::ROOTS)?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("web_schema.js"), js)?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
