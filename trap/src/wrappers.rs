//! The implementation under test, as a trait: production forwards to `tdcall`; the planted
//! variants in [`crate::planted`] override one method each.

use tdcall::{
    AcceptPage, Accepted, AlignedGpa, CpuidVe, FieldId, RtmrIndex, TdInfo, TdxStatus, VeInfo,
};

/// One implementation of the guest-side leaves. Methods are `#[inline(always)]` so that the
/// asm lands inside the oracle's register-pressure frame.
pub trait Wrappers {
    /// Name in reports.
    const NAME: &'static str;

    /// TDG.VP.INFO.
    #[inline(always)]
    fn vp_info(&self) -> Result<TdInfo, TdxStatus> {
        tdcall::tdg_vp_info()
    }

    /// TDG.MR.RTMR.EXTEND.
    #[inline(always)]
    fn rtmr_extend(&self, data: AlignedGpa<64>, index: RtmrIndex) -> Result<(), TdxStatus> {
        tdcall::tdg_mr_rtmr_extend(data, index)
    }

    /// TDG.VP.VEINFO.GET.
    #[inline(always)]
    fn veinfo_get(&self) -> Result<VeInfo, TdxStatus> {
        tdcall::tdg_vp_veinfo_get()
    }

    /// TDG.MR.REPORT.
    ///
    /// # Safety
    ///
    /// As [`tdcall::tdg_mr_report`].
    #[inline(always)]
    unsafe fn report(
        &self,
        report: AlignedGpa<1024>,
        data: AlignedGpa<64>,
        subtype: u8,
    ) -> Result<(), TdxStatus> {
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::tdg_mr_report(report, data, subtype) }
    }

    /// TDG.VP.CPUIDVE.SET.
    #[inline(always)]
    fn cpuidve_set(&self, config: CpuidVe) -> Result<(), TdxStatus> {
        tdcall::tdg_vp_cpuidve_set(config)
    }

    /// TDG.MEM.PAGE.ACCEPT.
    ///
    /// # Safety
    ///
    /// As [`tdcall::tdg_mem_page_accept`].
    #[inline(always)]
    unsafe fn accept(&self, page: AcceptPage) -> Result<Accepted, TdxStatus> {
        // SAFETY: forwarded from the caller.
        unsafe { tdcall::tdg_mem_page_accept(page) }
    }

    /// TDG.VM.RD version 0.
    #[inline(always)]
    fn vm_rd(&self, field: FieldId) -> Result<u64, TdxStatus> {
        tdcall::tdg_vm_rd(field)
    }

    /// TDG.VM.RD version 1.
    #[inline(always)]
    fn vm_rd_v1(&self, field: FieldId) -> Result<(u64, Option<FieldId>), TdxStatus> {
        tdcall::tdg_vm_rd_v1(field)
    }

    /// TDG.VM.RD version 1 with the null field id.
    #[inline(always)]
    fn vm_rd_first(&self) -> Result<FieldId, TdxStatus> {
        tdcall::tdg_vm_rd_first()
    }

    /// TDG.VM.WR.
    #[inline(always)]
    fn vm_wr(&self, field: FieldId, value: u64, mask: u64) -> Result<u64, TdxStatus> {
        tdcall::tdg_vm_wr(field, value, mask)
    }
}

/// The production wrappers of the `tdcall` crate.
pub struct Production;

impl Wrappers for Production {
    const NAME: &'static str = "tdcall";
}
