//! Builds the C implementations in `c/` with the system C compiler.

fn main() {
    println!("cargo:rerun-if-changed=include/tdx_oracle_abi.h");
    println!("cargo:rerun-if-changed=c/linux.c");
    println!("cargo:rerun-if-changed=c/edk2.c");
    println!("cargo:rerun-if-changed=c/edk2_cpuid.S");
    cc::Build::new()
        .file("c/linux.c")
        .file("c/edk2.c")
        .file("c/edk2_cpuid.S")
        .include("include")
        // Both originals are built this way: the kernel and EDK2's GCC toolchains pass
        // -mno-red-zone, and the EDK2 entry points push RBP inside their asm.
        .flag("-mno-red-zone")
        .opt_level(2)
        .warnings(true)
        .extra_warnings(true)
        .compile("tdx_oracle_abi");
}
