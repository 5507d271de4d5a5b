//! Builds the C/assembly implementation under test and the table of its entry points.
//!
//! Without `TDX_CABI_INPUTS` the implementation is this crate's own (`c/linux.c`, `c/edk2.c`,
//! `c/edk2_cpuid.S`). With it, it is the files it names, so an outside implementation is
//! checked without editing this repository (`tdx-check c`, README "Bring your own wrappers"):
//!
//! - `TDX_CABI_INPUTS`: paths separated by newlines, each a C source (`.c`), GNU assembly
//!   (`.S` preprocessed, `.s`), NASM source (`.nasm`, `.asm`; assembled with `nasm -f elf64`),
//!   an object (`.o`) or an archive (`.a`);
//! - `TDX_CABI_CFLAGS`: extra flags for the C compiler (C and GNU assembly), whitespace-separated;
//! - `TDX_CABI_NASMFLAGS`: extra flags for nasm, whitespace-separated;
//! - `TDX_CABI_STAMP`: anything that changes per run, to rebuild every time.
//!
//! C sources are compiled with `-include tdx_oracle_abi.h`, so an entry point defined with
//! another signature or calling convention than the header's does not compile.
//!
//! Everything is linked whole (`+whole-archive`): `c/entry_points.c` refers to every entry
//! point weakly, and a weak reference alone would not pull a member out of an archive.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // TDX_CABI_STAMP changes on every `tdx-check c`: a header or `%include` the build does not
    // track cannot leave a stale build behind.
    for v in [
        "TDX_CABI_INPUTS",
        "TDX_CABI_CFLAGS",
        "TDX_CABI_NASMFLAGS",
        "TDX_CABI_STAMP",
    ] {
        println!("cargo:rerun-if-env-changed={v}");
    }
    println!("cargo:rerun-if-changed=include/tdx_oracle_abi.h");
    println!("cargo:rerun-if-changed=c/entry_points.c");

    let outside = match std::env::var("TDX_CABI_INPUTS") {
        Ok(list) => Some(list),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => fail("TDX_CABI_INPUTS is not UTF-8"),
    };
    let inputs: Vec<PathBuf> = match &outside {
        Some(list) => list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .collect(),
        None => ["c/linux.c", "c/edk2.c", "c/edk2_cpuid.S"]
            .iter()
            .map(PathBuf::from)
            .collect(),
    };
    let cflags = words("TDX_CABI_CFLAGS");
    let nasmflags = words("TDX_CABI_NASMFLAGS");

    let build = || {
        let mut b = cc::Build::new();
        b.include("include")
            // Both originals are built this way: the kernel and EDK2's GCC toolchains pass
            // -mno-red-zone, and the EDK2 entry points push RBP inside their asm.
            .flag("-mno-red-zone")
            .opt_level(2)
            .warnings(true)
            .extra_warnings(true)
            .link_lib_modifier("+whole-archive");
        for f in &cflags {
            b.flag(f);
        }
        b
    };
    // C sources see the header's declarations whether they include it or not, so an entry
    // point defined with another signature or calling convention is a compile error, not a
    // call with garbage arguments. Assembly is not C: it gets no header.
    let mut c_sources = build();
    c_sources.flag("-include").flag("tdx_oracle_abi.h");
    let mut other = build();
    let (mut n_c, mut n_other) = (0, 0);
    for (i, input) in inputs.iter().enumerate() {
        println!("cargo:rerun-if-changed={}", input.display());
        if !input.is_file() {
            fail(&format!("{}: no such file", input.display()));
        }
        match extension(input).as_str() {
            "c" => {
                c_sources.file(input);
                n_c += 1;
            }
            "S" | "s" => {
                other.file(input);
                n_other += 1;
            }
            "nasm" | "asm" => {
                let obj = out.join(format!("nasm{i}.o"));
                let status = Command::new("nasm")
                    .args(["-f", "elf64"])
                    .args(&nasmflags)
                    .arg("-o")
                    .arg(&obj)
                    .arg(input)
                    .status()
                    .unwrap_or_else(|e| fail(&format!("nasm: {e} (apt-get install nasm)")));
                if !status.success() {
                    fail(&format!("nasm failed on {}", input.display()));
                }
                other.object(obj);
                n_other += 1;
            }
            "o" => {
                other.object(input);
                n_other += 1;
            }
            "a" => {
                // Linked whole under a name rustc accepts, whatever the file is called.
                let name = format!("tdx_oracle_archive{i}");
                std::fs::copy(input, out.join(format!("lib{name}.a")))
                    .unwrap_or_else(|e| fail(&format!("{}: {e}", input.display())));
                println!("cargo:rustc-link-lib=static:+whole-archive={name}");
            }
            _ => fail(&format!(
                "{}: not .c, .S, .s, .nasm, .asm, .o or .a",
                input.display()
            )),
        }
    }
    if inputs.is_empty() {
        fail("TDX_CABI_INPUTS names no file");
    }
    if n_c > 0 {
        c_sources.compile("tdx_oracle_implementation_c");
    }
    if n_other > 0 {
        other.compile("tdx_oracle_implementation");
    }
    println!("cargo:rustc-link-search=native={}", out.display());

    cc::Build::new()
        .file("c/entry_points.c")
        .include("include")
        .opt_level(2)
        .warnings(true)
        .extra_warnings(true)
        .compile("tdx_oracle_entry_points");
}

fn words(var: &str) -> Vec<String> {
    std::env::var(var)
        .map(|v| v.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

fn extension(p: &Path) -> String {
    p.extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn fail(msg: &str) -> ! {
    eprintln!("tdx-adapter-cabi: {msg}");
    std::process::exit(1)
}
