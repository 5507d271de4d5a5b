//! An implementation of the TDCALL seam checked by the oracle from outside its repository.
//!
//! Replace [`Example`]'s methods with calls into your own wrappers: implement a method of
//! [`Wrappers`] for each call your implementation makes, and say so in `provides`. A method
//! you do not implement, and a call kind `provides` does not name, is reported as "not
//! provided", never credited to you. The trait's documentation says which call kinds drive
//! which methods; `cargo run --release -- [SECONDS_PER_TARGET] [SEED] [--json]` runs the
//! comparison and exits 1 on a failure.
//!
//! The example is a small implementation of its own: TDG.VP.INFO and TDG.VM.RD, one `asm!`
//! each.

use core::arch::asm;

use tdcall::{FieldId, TdAttributes, TdInfo, TdxStatus};
use tdx_oracle::call::Kind;
use tdx_oracle::Wrappers;

/// The implementation under test.
struct Example;

/// `TDCALL`: `66 0F 01 CC`.
macro_rules! tdcall {
    () => {
        ".byte 0x66, 0x0f, 0x01, 0xcc"
    };
}

impl Wrappers for Example {
    const NAME: &'static str = "example (templates/wrappers)";

    fn provides(&self, kind: Kind) -> bool {
        matches!(kind, Kind::VpInfo | Kind::VmRd)
    }

    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        let (rax, rcx, rdx, r8, r9, r10): (u64, u64, u64, u64, u64, u64);
        // SAFETY: TDG.VP.INFO (leaf 1) reads RAX, touches no memory and writes RAX, RCX, RDX
        // and R8-R11, all declared.
        unsafe {
            asm!(
                tdcall!(),
                inlateout("rax") 1u64 => rax,
                lateout("rcx") rcx,
                lateout("rdx") rdx,
                lateout("r8") r8,
                lateout("r9") r9,
                lateout("r10") r10,
                lateout("r11") _,
                options(nostack, nomem),
            );
        }
        if rax != 0 {
            return Err(TdxStatus::from_raw(rax));
        }
        Ok(TdInfo {
            gpa_width: (rcx & 0x3f) as u8,
            attributes: TdAttributes(rdx),
            num_vcpus: r8 as u32,
            max_vcpus: (r8 >> 32) as u32,
            vcpu_index: r9 as u32,
            sys_rd_available: r10 & 1 != 0,
        })
    }

    fn vm_rd(&self, field: FieldId) -> Result<u64, TdxStatus> {
        let (rax, r8): (u64, u64);
        // SAFETY: TDG.VM.RD (leaf 7, version 0) reads RAX, RCX (reserved: 0) and RDX (the
        // field id), touches no memory, writes RAX, RCX, RDX and R8 (the value; 0 on failure)
        // and may change R9-R11, all declared.
        unsafe {
            asm!(
                tdcall!(),
                inlateout("rax") 7u64 => rax,
                inlateout("rcx") 0u64 => _,
                inlateout("rdx") field.raw() => _,
                lateout("r8") r8,
                lateout("r9") _,
                lateout("r10") _,
                lateout("r11") _,
                options(nostack, nomem),
            );
        }
        if rax != 0 {
            return Err(TdxStatus::from_raw(rax));
        }
        Ok(r8)
    }
}

fn main() {
    tdx_campaign::cli::check(Example)
}
