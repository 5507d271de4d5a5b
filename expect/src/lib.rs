//! What a wrapper should return, decoded from a leaf's raw outputs by the model's contract.
//!
//! Each function takes the contract of the leaf that ran and the registers after the TDCALL,
//! and gives the typed result the `tdcall` wrapper must return for them: the status from RAX,
//! each output by its field name in the contract (never a register position). The oracle
//! (`tdx-oracle`, verdict decoding) and the in-TD self-test (`tdx-selftest`, wrapper
//! differential) both judge the wrappers with these, so the two cannot drift apart.
//!
//! A contract lacking a field named here is a bug of the model, reported by a panic.
#![no_std]
#![deny(missing_docs)]

use tdcall::leaf15::RdAll;
use tdcall::{Accepted, KeySize, PageLevel, TdAttributes, TdInfo, TdxStatus, VeInfo, VeInfoExt};
use tdx_model::contract::LeafContract;
use tdx_model::status::{
    TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT, TDX_METADATA_LIST_OVERFLOW, TDX_PAGE_ALREADY_ACCEPTED,
};
use tdx_model::{Gpr, Regs};

/// RAX as a result: 0 is success, anything else the error with all 64 bits.
pub fn status(out: &Regs) -> Result<(), TdxStatus> {
    match out[Gpr::Rax] {
        0 => Ok(()),
        raw => Err(TdxStatus::from_raw(raw)),
    }
}

fn field(c: &LeafContract, out: &Regs, name: &str) -> u64 {
    c.output_field(out, name)
        .unwrap_or_else(|| panic!("{} has no output field {name}", c.name))
}

/// TDG.VP.INFO.
pub fn vp_info(c: &LeafContract, out: &Regs) -> Result<TdInfo, TdxStatus> {
    status(out)?;
    let f = |n| field(c, out, n);
    Ok(TdInfo {
        gpa_width: f("gpa_width") as u8,
        attributes: TdAttributes(f("attributes")),
        num_vcpus: f("num_vcpus") as u32,
        max_vcpus: f("max_vcpus") as u32,
        vcpu_index: f("vcpu_index") as u32,
        sys_rd_available: f("sys_rd") != 0,
    })
}

/// TDG.VP.VEINFO.GET.
pub fn veinfo(c: &LeafContract, out: &Regs) -> Result<VeInfo, TdxStatus> {
    status(out)?;
    let f = |n| field(c, out, n);
    Ok(VeInfo {
        exit_reason: f("exit_reason") as u32,
        exit_qualification: f("exit_qualification"),
        gla: f("gla"),
        gpa: f("gpa"),
        instruction_length: f("instruction_length") as u32,
        instruction_info: f("instruction_info") as u32,
    })
}

/// TDG.VP.VEINFO.GET leaf version 1 or 2 (`c` is that version's contract).
pub fn veinfo_ext(c: &LeafContract, out: &Regs) -> Result<VeInfoExt, TdxStatus> {
    let info = veinfo(c, out)?;
    Ok(VeInfoExt {
        info,
        ve_category: field(c, out, "ve_category") as u8,
        interruptibility_state: c
            .output_field(out, "interruptibility_state")
            .map(|v| v as u32),
    })
}

/// TDG.MEM.PAGE.ACCEPT: success, or the warning TDX_PAGE_ALREADY_ACCEPTED whose details are
/// the SEPT level of the existing mapping (0, 1 or 2); any other status is the error.
pub fn accept(out: &Regs) -> Result<Accepted, TdxStatus> {
    let raw = out[Gpr::Rax];
    if raw == 0 {
        return Ok(Accepted::Accepted);
    }
    if raw & !0xffff_ffff == TDX_PAGE_ALREADY_ACCEPTED {
        let mapped_level = match raw & 0xffff_ffff {
            0 => Some(PageLevel::Size4K),
            1 => Some(PageLevel::Size2M),
            2 => Some(PageLevel::Size1G),
            _ => None,
        };
        if let Some(mapped_level) = mapped_level {
            return Ok(Accepted::AlreadyAccepted { mapped_level });
        }
    }
    Err(TdxStatus::from_raw(raw))
}

/// A metadata read (TDG.VM.RD, TDG.VP.RD, TDG.SYS.RD, TDG.SERVTD.RD) as `(value, next field
/// id)`: `next` only for a leaf version with a next-field-id output (`with_next`), and `None`
/// when it is −1 (no next field).
pub fn metadata_read(
    c: &LeafContract,
    out: &Regs,
    with_next: bool,
) -> Result<(u64, Option<u64>), TdxStatus> {
    status(out)?;
    let value = field(c, out, "value");
    let next = if with_next {
        let n = field(c, out, "next_field_id");
        (n != u64::MAX).then_some(n)
    } else {
        None
    };
    Ok((value, next))
}

/// A metadata read with the null field id: the information status
/// TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT exactly (no details) is the success, with the first
/// field id; any other status is the error.
pub fn first_field_id(c: &LeafContract, out: &Regs) -> Result<u64, TdxStatus> {
    match out[Gpr::Rax] {
        TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT => Ok(field(c, out, "next_field_id")),
        raw => Err(TdxStatus::from_raw(raw)),
    }
}

/// A metadata write (TDG.VM.WR, TDG.VP.WR, TDG.SERVTD.WR): the previous value.
pub fn old_value(c: &LeafContract, out: &Regs) -> Result<u64, TdxStatus> {
    status(out)?;
    Ok(field(c, out, "old_value"))
}

/// TDG.SYS.RDALL: complete when the next field id is −1 after success; more to read (from the
/// next field id) after `TDX_METADATA_LIST_OVERFLOW`, or after success with a next field id
/// (modules that dump 64 bytes per call); any other status is the error.
pub fn sys_rdall(c: &LeafContract, out: &Regs) -> Result<RdAll, TdxStatus> {
    let raw = out[Gpr::Rax];
    let next = field(c, out, "next_field_id");
    if raw == 0 && next == u64::MAX {
        Ok(RdAll::Complete)
    } else if raw == 0 || raw & !0xffff_ffff == TDX_METADATA_LIST_OVERFLOW {
        Ok(RdAll::Overflow { next })
    } else {
        Err(TdxStatus::from_raw(raw))
    }
}

/// TDG.MR.KEY.GET: the key size in bits on success.
pub fn key_get(c: &LeafContract, out: &Regs) -> Result<KeySize, TdxStatus> {
    status(out)?;
    Ok(KeySize(field(c, out, "key_size_bits")))
}
