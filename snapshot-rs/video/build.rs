//! Links Debian's libvpx (`libvpx-dev`) statically, so that the binaries need no libvpx at run time.
//! `VPX_LIB_DIR` names another folder holding `libvpx.a`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=VPX_LIB_DIR");
    let dir = match std::env::var_os("VPX_LIB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
            PathBuf::from(format!("/usr/lib/{arch}-linux-gnu"))
        }
    };
    let lib = dir.join("libvpx.a");
    if !lib.is_file() {
        panic!(
            "{} is missing: install libvpx-dev (bash scripts/tools.sh system) or set VPX_LIB_DIR",
            lib.display()
        );
    }
    println!("cargo:rerun-if-changed={}", lib.display());
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=static=vpx");
    println!("cargo:rustc-link-lib=m");
}
