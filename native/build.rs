//! Link settings for the addon.
//!
//! * libzstd: linked statically when the system has `libzstd.a` (Debian's libzstd-dev ships a
//!   PIC archive), so the `.node` file that `bun build --compile` unpacks to $TMPDIR at run time
//!   does not depend on a shared libzstd being installed where the binary runs. Set
//!   `AIKV_ZSTD_DYNAMIC=1` to link `libzstd.so` instead.
//! * napi_*: the Node-API functions are provided by the host process (bun / node) at load time,
//!   so the cdylib must be allowed to have undefined symbols.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=AIKV_ZSTD_DYNAMIC");
    println!("cargo:rerun-if-env-changed=AIKV_ZSTD_LIB_DIR");
    let dynamic = std::env::var("AIKV_ZSTD_DYNAMIC").map(|v| v == "1").unwrap_or(false);
    let mut dirs: Vec<String> = Vec::new();
    if let Ok(d) = std::env::var("AIKV_ZSTD_LIB_DIR") {
        dirs.push(d);
    }
    for d in ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib", "/opt/homebrew/lib"] {
        dirs.push(d.to_string());
    }
    let static_dir = if dynamic { None } else { dirs.iter().find(|d| Path::new(d).join("libzstd.a").exists()) };
    match static_dir {
        Some(d) => {
            println!("cargo:rustc-link-search=native={d}");
            println!("cargo:rustc-link-lib=static=zstd");
        }
        None => {
            for d in &dirs {
                if Path::new(d).join("libzstd.so").exists() || Path::new(d).join("libzstd.dylib").exists() {
                    println!("cargo:rustc-link-search=native={d}");
                    break;
                }
            }
            println!("cargo:rustc-link-lib=dylib=zstd");
        }
    }
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "macos" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-undefined,dynamic_lookup");
    } else if os == "linux" {
        // Only the napi_* symbols are left undefined; they bind to the host executable at dlopen.
        println!("cargo:rustc-cdylib-link-arg=-Wl,--unresolved-symbols=ignore-all");
    }
}
