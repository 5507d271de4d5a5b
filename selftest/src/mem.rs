//! The self-test's buffers (the only memory any leaf it calls may touch) and the guest-memory
//! views the two model instances use. UEFI maps memory 1:1, so GPA = address.

use core::cell::UnsafeCell;
use core::mem::size_of;

use tdcall::{ReportData, RtmrExtendData, TdReport};
use tdx_model::GuestMemory;

/// Pages for TDG.MEM.PAGE.ACCEPT (already accepted: the module must not touch them).
pub const ACCEPT_PAGES: usize = 4;

/// Everything a leaf may read or write.
#[repr(C, align(4096))]
pub struct Buffers {
    /// Page-aligned pages that hold nothing live: TDG.MEM.PAGE.ACCEPT targets. Were the host to
    /// make one pending again, accepting it would zero only these bytes.
    pub accept: [[u8; 4096]; ACCEPT_PAGES],
    /// TDREPORT_STRUCT output (1024-byte aligned).
    pub report: TdReport,
    /// REPORTDATA input (64-byte aligned).
    pub report_data: ReportData,
    /// RTMR extension value (64-byte aligned).
    pub extend: RtmrExtendData,
}

/// The buffers as a static, reached only through raw pointers.
pub struct Shared(UnsafeCell<Buffers>);

// SAFETY: the self-test runs on one CPU, and the only other code that touches the buffers is
// the trap handler, which runs synchronously inside a TDCALL the self-test made.
unsafe impl Sync for Shared {}

/// The self-test's buffers.
pub static BUFS: Shared = Shared(UnsafeCell::new(Buffers {
    accept: [[0; 4096]; ACCEPT_PAGES],
    report: TdReport([0; 1024]),
    report_data: ReportData([0; 64]),
    extend: RtmrExtendData([0; 48]),
}));

impl Shared {
    /// Raw pointer to the buffers.
    pub fn get(&self) -> *mut Buffers {
        self.0.get()
    }

    /// Address of the first byte.
    pub fn base(&self) -> u64 {
        self.get() as u64
    }

    /// Address of accept page `i`.
    pub fn accept_page(&self, i: usize) -> u64 {
        // SAFETY: only the address is taken; nothing is read.
        unsafe { core::ptr::addr_of!((*self.get()).accept[i]) as u64 }
    }

    /// Address of the report buffer.
    pub fn report(&self) -> u64 {
        // SAFETY: only the address is taken.
        unsafe { core::ptr::addr_of!((*self.get()).report) as u64 }
    }

    /// Address of the REPORTDATA buffer.
    pub fn report_data(&self) -> u64 {
        // SAFETY: only the address is taken.
        unsafe { core::ptr::addr_of!((*self.get()).report_data) as u64 }
    }

    /// Address of the RTMR extension value.
    pub fn extend(&self) -> u64 {
        // SAFETY: only the address is taken.
        unsafe { core::ptr::addr_of!((*self.get()).extend) as u64 }
    }

    /// Set the REPORTDATA bytes.
    pub fn set_report_data(&self, data: &[u8; 64]) {
        // SAFETY: single-threaded; no reference to the buffer is live.
        unsafe { core::ptr::addr_of_mut!((*self.get()).report_data.0).write_volatile(*data) }
    }

    /// Set the RTMR extension value.
    pub fn set_extend(&self, data: &[u8; 48]) {
        // SAFETY: single-threaded; no reference to the buffer is live.
        unsafe { core::ptr::addr_of_mut!((*self.get()).extend.0).write_volatile(*data) }
    }

    /// Fill the report buffer with `byte` (so a report that is not written shows).
    pub fn clear_report(&self, byte: u8) {
        // SAFETY: single-threaded; no reference to the buffer is live.
        unsafe { core::ptr::addr_of_mut!((*self.get()).report.0).write_volatile([byte; 1024]) }
    }

    /// A copy of the report buffer.
    pub fn read_report(&self) -> [u8; 1024] {
        // SAFETY: single-threaded; the module or the handler wrote it synchronously.
        unsafe { core::ptr::addr_of!((*self.get()).report.0).read_volatile() }
    }

    fn range(&self, gpa: u64, len: usize) -> Option<*mut u8> {
        let off = gpa.checked_sub(self.base())?;
        let end = off.checked_add(len as u64)?;
        (end <= size_of::<Buffers>() as u64).then_some(gpa as *mut u8)
    }
}

/// Guest memory of the simulated TD the trap handler answers from: the real bytes of
/// [`BUFS`], identity-mapped; anything else is "not backed".
pub struct Identity;

impl GuestMemory for Identity {
    fn read(&mut self, gpa: u64, buf: &mut [u8]) -> bool {
        match BUFS.range(gpa, buf.len()) {
            Some(p) => {
                // SAFETY: `range` checked that the bytes lie inside BUFS.
                unsafe { core::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), buf.len()) };
                true
            }
            None => false,
        }
    }

    fn write(&mut self, gpa: u64, data: &[u8]) -> bool {
        match BUFS.range(gpa, data.len()) {
            Some(p) => {
                // SAFETY: `range` checked that the bytes lie inside BUFS.
                unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
                true
            }
            None => false,
        }
    }
}

/// Guest memory of the prediction model: reads the real bytes of [`BUFS`], keeps writes to
/// itself (the prediction must not disturb what the real call reads or writes).
pub struct Shadow {
    /// The last 1024-byte write (the predicted report).
    pub written: [u8; 1024],
}

impl GuestMemory for Shadow {
    fn read(&mut self, gpa: u64, buf: &mut [u8]) -> bool {
        Identity.read(gpa, buf)
    }

    fn write(&mut self, gpa: u64, data: &[u8]) -> bool {
        if BUFS.range(gpa, data.len()).is_none() {
            return false;
        }
        let n = data.len().min(self.written.len());
        self.written[..n].copy_from_slice(&data[..n]);
        true
    }
}
