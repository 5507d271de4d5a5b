//! Statuses forced on every leaf and TDVMCALL sub-function: a call with ordinary inputs whose
//! first completed TDCALL returns the forced status (a newer or faulty module). On a
//! TDG.VP.VMCALL the status is the module refusing the call: the VMM never sees it and only
//! RAX changes. Encoding, leakage, clobbers, hygiene and decoding are checked as for any call;
//! semantics are not (a forced status has none), so they are not credited either.

use crate::call::{Call, FieldRef, MemRef, PageRef};

/// The calls a forced status is put on beyond the ten core ones of `run_forced`, in the order
/// `ForcedStatus::leaf` (mod the total) picks them.
pub const FORCED_CALLS: [Call; 32] = [
    Call::VpRd {
        field: FieldRef::Known(0),
        first: false,
    },
    Call::VpWr {
        field: FieldRef::Known(0),
        value: 0,
        mask: 0,
        narrow: false,
    },
    Call::SysRd {
        field: FieldRef::Known(0),
        first: false,
    },
    Call::SysRdAll {
        list: MemRef::Slot(0),
        first: FieldRef::Known(0),
    },
    Call::ServtdRd {
        binding: 0,
        field: FieldRef::Known(0),
        uuid: 0,
        busy: false,
    },
    Call::ServtdWr {
        binding: 0,
        field: FieldRef::Known(0),
        value: 0,
        mask: 0,
        uuid: 0,
        busy: false,
    },
    Call::VerifyReport {
        mac: MemRef::Slot(0),
        tamper: 0,
        data: [0; 16],
    },
    // Block 5 of the accept region: accepted 4 KiB pages.
    Call::AttrRd {
        page: PageRef::Region(5),
        busy: false,
    },
    Call::AttrWr {
        page: PageRef::Region(5),
        level: 0,
        attrs: 0,
        flags: 0,
        busy: false,
        l2_sept_missing: false,
    },
    Call::VpEnter {
        vm: 1,
        invalidate: 0,
        state: MemRef::Slot(2),
        pending: false,
        vapic_missing: false,
        guest_state: 0,
    },
    Call::Invept { vms: 1 },
    Call::Invgla {
        vm: 1,
        base: 0x1000,
        pages: 1,
    },
    // A 4 KiB-aligned slot: GLA_LIST_INFO holds the list's page only.
    Call::InvglaList {
        vm: 1,
        list: MemRef::Slot(8),
        first: 0,
        count: 1,
        interrupts: 0,
    },
    Call::MrKeyGet {
        request: MemRef::Slot(4),
        key: MemRef::Slot(5),
        requestor: 0,
        flaw: 0,
        policy: 0,
        sw_keyname: 0,
        salt: 0,
        enables: 0,
        busy: false,
    },
    Call::VeinfoGet {
        info: None,
        version: 1,
    },
    Call::VeinfoGet {
        info: None,
        version: 2,
    },
    Call::VmcallInfo { leaf: 0 },
    Call::VmcallMapGpa {
        page: PageRef::Region(5),
        pages: 1,
        shared: true,
    },
    Call::VmcallGetQuote {
        buffer: MemRef::SharedSlot(6),
        len: 4096,
    },
    Call::VmcallNotify { vector: 32 },
    Call::VmcallService {
        command: MemRef::SharedSlot(8),
        response: MemRef::SharedSlot(12),
        vector: 0,
        timeout: 0,
    },
    Call::VmcallCpuid {
        leaf: 0,
        subleaf: 0,
    },
    Call::VmcallHlt { blocked: false },
    Call::VmcallIo {
        size: 1,
        port: 0x80,
        write: true,
        value: 0,
    },
    Call::VmcallRdmsr { msr: 0x1b },
    Call::VmcallWrmsr {
        msr: 0x1b,
        value: 0,
    },
    Call::VmcallMmio {
        size: 4,
        gpa: MemRef::SharedSlot(9),
        write: false,
        value: 0,
    },
    Call::VmcallWbinvd {
        no_invalidate: false,
    },
    Call::VmcallKvm {
        nr: 1,
        args: [0; 4],
    },
    // The range helpers: the status is forced on their first TDCALL. Block 0 is one pending
    // 2 MiB leaf: the first ACCEPT asks for 2 MiB.
    Call::AcceptRange {
        first_page: 0,
        pages: 511,
        max_level: 1,
        busy_page: 0,
        busy_for: 0,
        window: 0,
    },
    Call::VmcallConvert {
        page: PageRef::Region(5),
        pages: 1,
        shared: true,
        stalls: 0,
    },
    // Run in a child: a refused ReportFatalError must call again, with the contract's inputs.
    Call::VmcallFatal {
        code: 0x1234,
        data: None,
        message: [b'!'; 64],
        len: 64,
        resumes: 0,
    },
];
