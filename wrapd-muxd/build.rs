//! Release builds of the daemon lay its code out in the order of
//! `link-order.txt` (written by `bench/scripts/link-order.sh`): what it runs to
//! start and to sit idle, then what it runs for a client, together in front of
//! the rest of the text. The kernel maps code 64 KiB around each page touched,
//! so an idle daemon whose code lies together keeps less of its binary
//! resident. The file holds patterns of v0-mangled function names (see
//! `.cargo/config.toml`; hashes replaced by `*`): they become a linker script
//! that places the functions' sections. Names that match nothing (a stale
//! file, or legacy mangling when RUSTFLAGS replaces the config's flags) only
//! lose the effect.
//!
//! Only where the linker is known to be LLD (rustc's own, the default for
//! x86_64 Linux since 1.90) and nothing overrides it; elsewhere, and with
//! `WRAPD_NO_LINK_ORDER` set, the build links as usual. `WRAPD_PACK_RELOCS=1`
//! also packs relative relocations (for glibc >= 2.36 hosts only).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=link-order.txt");
    // What decides whether and how we link (a change must run this again).
    for var in [
        "WRAPD_NO_LINK_ORDER",
        "WRAPD_PACK_RELOCS",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS",
        "RUSTC_LINKER",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    if env::var("PROFILE").as_deref() != Ok("release") || !lld_is_the_linker() {
        return;
    }
    let dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let order = fs::read_to_string(dir.join("link-order.txt")).expect("link-order.txt");
    let script = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets it")).join("layout.ld");
    fs::write(&script, linker_script(&order)).expect("writing the linker script");
    // One argument each (a `-Wl,` list would split a path with a comma).
    for arg in ["-Xlinker", "-T", "-Xlinker", &script.display().to_string()] {
        println!("cargo:rustc-link-arg-bin=wrapd-muxd={arg}");
    }
    // Relative relocations as a bitmap: 6 KB the loader reads at start
    // instead of 390 KB, but the binary then needs glibc >= 2.36 where it
    // runs (not only where it is built), so only when asked for.
    if env::var_os("WRAPD_PACK_RELOCS").is_some() {
        println!("cargo:rustc-link-arg-bin=wrapd-muxd=-Wl,-z,pack-relative-relocs");
    }
}

/// An output section of the listed functions, in order, put before `.text`;
/// `INSERT` keeps the linker's default layout for everything else.
fn linker_script(order: &str) -> String {
    let mut script = String::from("SECTIONS {\n  .text.wrapd_layout : {\n");
    for pattern in order.lines().map(str::trim) {
        if !pattern.is_empty() && !pattern.starts_with('#') {
            // LLVM puts code it thinks cold (`main`, say) in .text.unlikely.*.
            let _ = writeln!(script, "    *(.text.{pattern} .text.unlikely.{pattern})");
        }
    }
    script.push_str("  }\n}\nINSERT BEFORE .text;\n");
    script
}

fn lld_is_the_linker() -> bool {
    if env::var_os("WRAPD_NO_LINK_ORDER").is_some()
        || env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu")
        || env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
        || env::var_os("RUSTC_LINKER").is_some()
    {
        return false;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if flags.contains("link") {
        // -C linker=…, link-self-contained, linker-features, link-arg(s): the
        // user chose how to link; do not add to it.
        return false;
    }
    rustc_minor().is_some_and(|minor| minor >= 90)
}

/// The minor version of the rustc that builds us ("rustc 1.95.0 (…)" → 95).
fn rustc_minor() -> Option<u32> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("-V").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut words = text.split_whitespace();
    (words.next()? == "rustc").then_some(())?;
    words.next()?.split('.').nth(1)?.parse().ok()
}
