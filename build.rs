//! napi-build's setup, except on windows-gnu (mingw): there napi-build wants a `libnode.dll` to
//! link against and panics without one, while the addon resolves Node-API from the host process
//! when it loads (napi's `dyn-symbols`, enabled for Windows in Cargo.toml), as MSVC builds do.

use std::env;

fn main() {
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "windows" && target_env == "gnu" {
        windows_gnu();
    } else {
        napi_build::setup();
    }
}

/// What napi-build's `setup` does on windows-gnu, less its libnode link: the cfg names it declares
/// (none is set off wasm), and a DLL that needs nothing beside node.exe and Windows itself
/// (libgcc and winpthread linked in, not left to DLLs a user does not have).
fn windows_gnu() {
    // Without any `rerun-if` line cargo reruns this script, and so rebuilds the addon, whenever any
    // file of the package changes, and the package is the repository (`npm pack` rewriting
    // package.json was enough); napi-build's `rerun-if-env-changed` lines spare the other targets that.
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(napi_wasi_threads)");
    println!("cargo::rustc-check-cfg=cfg(napi_wasi_no_heap_sync)");
    println!("cargo::rustc-cdylib-link-arg=-static-libgcc");
    println!("cargo::rustc-cdylib-link-arg=-Wl,-Bstatic");
    println!("cargo::rustc-cdylib-link-arg=-lpthread");
    println!("cargo::rustc-cdylib-link-arg=-Wl,-Bdynamic");
}
