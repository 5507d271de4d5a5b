//! Accepting a range of private memory: what a TD's memory setup actually calls.
//!
//! Largest page first (1 GiB, 2 MiB, 4 KiB as alignment and length allow), falling back to the
//! next smaller size when the module reports `TDX_PAGE_SIZE_MISMATCH` (the range is mapped with
//! smaller pages) or, above 4 KiB, `TDX_OPERAND_INVALID` on RCX (the module does not accept that
//! page size: modules 1.0 and 1.5 reject 1 GiB). `TDX_PAGE_ALREADY_ACCEPTED` counts as done.
//! `TDX_OPERAND_BUSY` is retried a bounded number of times. Same strategy as Linux
//! `arch/x86/coco/tdx/tdx-shared.c` `try_accept_one()`, with the statuses told apart.

use core::fmt;

use crate::status::{OperandId, StatusCode, TdxStatus};
use crate::types::{AcceptPage, Accepted, Gpa, InputError, PageLevel};

/// How [`accept_range`] works through a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcceptOptions {
    /// Largest page size to try.
    pub max_level: PageLevel,
    /// How many times one page is retried after `TDX_OPERAND_BUSY` before giving up.
    pub busy_retries: u32,
}

impl Default for AcceptOptions {
    fn default() -> Self {
        AcceptOptions {
            max_level: PageLevel::Size1G,
            busy_retries: 16,
        }
    }
}

/// What [`accept_range`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcceptStats {
    /// Pages newly accepted, indexed by level (4 KiB, 2 MiB, 1 GiB).
    pub accepted: [u64; 3],
    /// Pages the module reported as already accepted.
    pub already_accepted: u64,
    /// Fallbacks to a smaller page size.
    pub fallbacks: u64,
    /// Retries after `TDX_OPERAND_BUSY`.
    pub busy_retries: u64,
}

/// Why [`accept_range`] stopped. Everything below `gpa` was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptError {
    /// The range itself was rejected before any TDCALL.
    Input(InputError),
    /// The module failed the page at `gpa` with a status that no smaller size can fix.
    Tdx {
        /// Page that failed.
        gpa: Gpa,
        /// Size that was requested.
        level: PageLevel,
        /// The module's status, whole.
        status: TdxStatus,
    },
    /// The page at `gpa` stayed busy through every retry.
    Busy {
        /// Page that stayed busy.
        gpa: Gpa,
        /// Size that was requested.
        level: PageLevel,
        /// Accept attempts made for it (a TDCALL re-executed after an interruption or TD
        /// exit is one attempt).
        attempts: u32,
    },
}

impl fmt::Display for AcceptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcceptError::Input(e) => write!(f, "accept: {e}"),
            AcceptError::Tdx { gpa, level, status } => {
                write!(f, "accept {:#x} ({level:?}): {status}", gpa.raw())
            }
            AcceptError::Busy {
                gpa,
                level,
                attempts,
            } => write!(
                f,
                "accept {:#x} ({level:?}): still busy after {attempts} attempts",
                gpa.raw()
            ),
        }
    }
}

/// Accepts `[start, start + len)` with [`tdg_mem_page_accept`](crate::tdg_mem_page_accept).
///
/// `start` and `len` must be 4 KiB aligned, `len` non-zero and the range must end at or below
/// 2^52. See the [module documentation](self) for the strategy.
///
/// # Safety
///
/// As [`tdg_mem_page_accept`](crate::tdg_mem_page_accept), for every page of the range: the
/// module zeroes what it accepts, so no live object may occupy the range.
#[cfg(target_arch = "x86_64")]
pub unsafe fn accept_range(
    start: u64,
    len: u64,
    options: AcceptOptions,
) -> Result<AcceptStats, AcceptError> {
    // SAFETY: forwarded from the caller.
    accept_range_with(start, len, options, |p| unsafe {
        crate::tdg_mem_page_accept(p)
    })
}

/// [`accept_range`] over any implementation of TDG.MEM.PAGE.ACCEPT (for tests, and for callers
/// with a wrapper of their own).
pub fn accept_range_with(
    start: u64,
    len: u64,
    options: AcceptOptions,
    mut accept: impl FnMut(AcceptPage) -> Result<Accepted, TdxStatus>,
) -> Result<AcceptStats, AcceptError> {
    const PAGE: u64 = 0x1000;
    let end = start.checked_add(len);
    let end = match end {
        Some(end) if len != 0 && (start | len) & (PAGE - 1) == 0 && Gpa::new(end - 1).is_ok() => {
            end
        }
        _ => return Err(AcceptError::Input(InputError::RangeInvalid { start, len })),
    };
    let mut stats = AcceptStats::default();
    // After a fallback, sizes above `cap` are not tried again until `cap_until`; a size the
    // module does not support at all (OPERAND_INVALID) is not tried again in this call.
    let mut max_level = options.max_level;
    let mut cap = max_level;
    let mut cap_until = start;
    let mut gpa = start;
    while gpa < end {
        let mut level = if gpa < cap_until { cap } else { max_level };
        while level != PageLevel::Size4K
            && (gpa & (level.size() - 1) != 0 || end - gpa < level.size())
        {
            level = level.smaller().unwrap_or(PageLevel::Size4K);
        }
        let mut attempts = 0u32;
        loop {
            let page = Gpa::new(gpa)
                .and_then(|g| AcceptPage::new(g, level))
                .map_err(AcceptError::Input)?;
            attempts += 1;
            match accept(page) {
                Ok(Accepted::Accepted) => {
                    stats.accepted[level as usize] += 1;
                    gpa += level.size();
                    break;
                }
                Ok(Accepted::AlreadyAccepted { mapped_level }) => {
                    stats.already_accepted += 1;
                    // A larger accepted mapping covers the rest of its own page too.
                    let covered = mapped_level.max(level).size();
                    gpa = (gpa | (covered - 1)).saturating_add(1).min(end);
                    break;
                }
                Err(st) if st.is(StatusCode::OperandBusy) => {
                    if attempts > options.busy_retries {
                        return Err(AcceptError::Busy {
                            gpa: page.gpa(),
                            level,
                            attempts,
                        });
                    }
                    stats.busy_retries += 1;
                }
                Err(st)
                    if level != PageLevel::Size4K
                        && (st.is(StatusCode::PageSizeMismatch)
                            || (st.is(StatusCode::OperandInvalid)
                                && st.operand() == Some(OperandId::RCX))) =>
                {
                    stats.fallbacks += 1;
                    let smaller = level.smaller().unwrap_or(PageLevel::Size4K);
                    if st.is(StatusCode::OperandInvalid) {
                        max_level = max_level.min(smaller);
                    }
                    cap_until = gpa + level.size();
                    cap = smaller;
                    break;
                }
                Err(status) => {
                    return Err(AcceptError::Tdx {
                        gpa: page.gpa(),
                        level,
                        status,
                    })
                }
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    fn st(code: StatusCode, details: u32) -> TdxStatus {
        TdxStatus::from_raw(code.status().raw() | details as u64)
    }

    #[test]
    fn falls_back_from_1g_and_2m() {
        let mut calls = [0u32; 3];
        let stats = accept_range_with(0, 1 << 30, AcceptOptions::default(), |p| {
            calls[p.level() as usize] += 1;
            match p.level() {
                PageLevel::Size1G => Err(st(StatusCode::OperandInvalid, 1)),
                // The first 2 MiB is mapped with 4 KiB pages.
                PageLevel::Size2M if p.gpa().raw() == 0 => Err(st(StatusCode::PageSizeMismatch, 1)),
                _ => Ok(Accepted::Accepted),
            }
        })
        .unwrap();
        assert_eq!(calls, [512, 512, 1]);
        assert_eq!(stats.accepted, [512, 511, 0]);
        assert_eq!(stats.fallbacks, 2);
    }

    #[test]
    fn unsupported_1g_is_not_retried_and_larger_mappings_are_skipped() {
        let mut calls = [0u32; 3];
        let stats = accept_range_with(0, 2 << 30, AcceptOptions::default(), |p| {
            calls[p.level() as usize] += 1;
            match p.level() {
                PageLevel::Size1G => Err(st(StatusCode::OperandInvalid, 1)),
                // The first 2 MiB is already accepted as one 2 MiB page.
                _ if p.gpa().raw() < 2 << 20 => Ok(Accepted::AlreadyAccepted {
                    mapped_level: PageLevel::Size2M,
                }),
                _ => Ok(Accepted::Accepted),
            }
        })
        .unwrap();
        assert_eq!(calls, [0, 1024, 1]);
        assert_eq!(stats.already_accepted, 1);
        assert_eq!(stats.accepted, [0, 1023, 0]);
    }

    #[test]
    fn busy_is_bounded() {
        let opts = AcceptOptions {
            max_level: PageLevel::Size4K,
            busy_retries: 3,
        };
        let r = accept_range_with(0x1000, 0x1000, opts, |_| {
            Err(st(StatusCode::OperandBusy, 1))
        });
        assert_eq!(
            r,
            Err(AcceptError::Busy {
                gpa: Gpa::new(0x1000).unwrap(),
                level: PageLevel::Size4K,
                attempts: 4
            })
        );
    }

    #[test]
    fn bad_ranges_are_typed_errors() {
        let opts = AcceptOptions::default();
        for (s, l) in [
            (0x1001, 0x1000),
            (0, 0),
            (!0xfff, 0x2000),
            (1 << 52, 0x1000),
        ] {
            assert!(matches!(
                accept_range_with(s, l, opts, |_| Ok(Accepted::Accepted)),
                Err(AcceptError::Input(_))
            ));
        }
    }

    #[test]
    fn hard_error_stops_with_status() {
        let bad = st(StatusCode::OperandInvalid, 1);
        let r = accept_range_with(0, 0x2000, AcceptOptions::default(), |p| {
            if p.gpa().raw() == 0x1000 {
                Err(bad)
            } else {
                Ok(Accepted::Accepted)
            }
        });
        assert_eq!(
            r,
            Err(AcceptError::Tdx {
                gpa: Gpa::new(0x1000).unwrap(),
                level: PageLevel::Size4K,
                status: bad
            })
        );
    }

    /// A scripted module: `answer` decides each call's result; every requested page must lie
    /// inside `[start, start + len)` (the contract of `accept_range_with`), and every call is
    /// recorded as `(gpa, level)`.
    fn run(
        start: u64,
        len: u64,
        opts: AcceptOptions,
        mut answer: impl FnMut(AcceptPage) -> Result<Accepted, TdxStatus>,
    ) -> (
        Result<AcceptStats, AcceptError>,
        std::vec::Vec<(u64, PageLevel)>,
    ) {
        let mut calls = std::vec::Vec::new();
        let r = accept_range_with(start, len, opts, |p| {
            let (g, size) = (p.gpa().raw(), p.level().size());
            assert!(
                g >= start && g - start + size <= len,
                "page {p:?} outside [{start:#x}, {start:#x} + {len:#x})"
            );
            calls.push((g, p.level()));
            answer(p)
        });
        (r, calls)
    }

    #[test]
    fn invalid_ranges_are_range_invalid_before_any_call() {
        for (start, len) in [
            // Unaligned start.
            (0x1001, 0x1000),
            // Aligned start, unaligned length: the page at 0x2000 would reach past the end.
            (0x1000, 0x1800),
            (0x1000, 0x0fff),
            (0, 0x1001),
            // Start and length misaligned by the same amount.
            (0x1001, 0x1001),
            (0x1800, 0x1800),
            // Empty.
            (0, 0),
            (0x1000, 0),
            // Wraps.
            (!0xfff, 0x2000),
            // Beyond 2^52: starts at it, or ends one page past it.
            (1 << 52, 0x1000),
            ((1 << 52) - 0x1000, 0x2000),
        ] {
            let (r, calls) = run(start, len, AcceptOptions::default(), |_| {
                Ok(Accepted::Accepted)
            });
            assert_eq!(
                r,
                Err(AcceptError::Input(InputError::RangeInvalid { start, len })),
                "{start:#x}+{len:#x}"
            );
            assert_eq!(
                calls,
                [],
                "{start:#x}+{len:#x}: no TDCALL for an invalid range"
            );
        }
    }

    #[test]
    fn range_ending_exactly_at_2_pow_52_is_valid() {
        // Last byte 2^52 - 1 is a valid GPA (bits 63:52 clear).
        let top = 1u64 << 52;
        let (r, calls) = run(top - 0x2000, 0x2000, AcceptOptions::default(), |_| {
            Ok(Accepted::Accepted)
        });
        let stats = r.unwrap();
        assert_eq!(stats.accepted, [2, 0, 0]);
        assert_eq!(
            calls,
            [
                (top - 0x2000, PageLevel::Size4K),
                (top - 0x1000, PageLevel::Size4K)
            ]
        );
        // The last 1 GiB of the GPA space, as one 1 GiB page.
        let (r, calls) = run(top - (1 << 30), 1 << 30, AcceptOptions::default(), |_| {
            Ok(Accepted::Accepted)
        });
        assert_eq!(r.unwrap().accepted, [0, 0, 1]);
        assert_eq!(calls, [(top - (1 << 30), PageLevel::Size1G)]);
    }

    #[test]
    fn busy_retries_are_counted_exactly() {
        let opts = AcceptOptions {
            max_level: PageLevel::Size4K,
            busy_retries: 2,
        };
        // Page 0x1000: busy twice (the most allowed), then accepted; page 0x2000: accepted;
        // page 0x3000: busy once, then accepted.
        let mut busy_left = [2u32, 0, 1];
        let (r, calls) = run(0x1000, 0x3000, opts, |p| {
            let i = (p.gpa().raw() / 0x1000 - 1) as usize;
            if busy_left[i] > 0 {
                busy_left[i] -= 1;
                Err(st(StatusCode::OperandBusy, 1))
            } else {
                Ok(Accepted::Accepted)
            }
        });
        assert_eq!(
            r,
            Ok(AcceptStats {
                accepted: [3, 0, 0],
                already_accepted: 0,
                fallbacks: 0,
                busy_retries: 3,
            })
        );
        assert_eq!(calls.len(), 6);
    }

    #[test]
    fn no_fallback_for_other_statuses_above_4k() {
        let rcx = OperandId::RCX.0;
        let rdx = OperandId::RDX.0;
        for level in [PageLevel::Size2M, PageLevel::Size1G] {
            let size = level.size();
            let opts = AcceptOptions {
                max_level: level,
                busy_retries: 16,
            };
            for status in [
                // An operand-class status naming RCX that is not OPERAND_INVALID.
                st(StatusCode::OperandAddrRangeError, rcx),
                // OPERAND_INVALID naming another operand than RCX.
                st(StatusCode::OperandInvalid, rdx),
                st(StatusCode::OperandInvalid, OperandId::SEPT_ENTRY.0),
                // Not an operand status at all.
                st(StatusCode::EptEntryStateIncorrect, 0),
                st(StatusCode::PageAttrInvalid, rcx),
            ] {
                let (r, calls) = run(size, size, opts, |_| Err(status));
                assert_eq!(
                    r,
                    Err(AcceptError::Tdx {
                        gpa: Gpa::new(size).unwrap(),
                        level,
                        status
                    }),
                    "{level:?} {status:?}"
                );
                assert_eq!(
                    calls,
                    [(size, level)],
                    "{level:?} {status:?}: one call, no fallback"
                );
            }
        }
    }

    #[test]
    fn fallback_for_the_documented_statuses_only_above_4k() {
        // PAGE_SIZE_MISMATCH and OPERAND_INVALID on RCX at 2 MiB: fall back to 4 KiB.
        for status in [
            st(StatusCode::PageSizeMismatch, 0),
            st(StatusCode::OperandInvalid, OperandId::RCX.0),
        ] {
            let (r, calls) = run(0x20_0000, 0x20_0000, AcceptOptions::default(), |p| {
                if p.level() == PageLevel::Size2M {
                    Err(status)
                } else {
                    Ok(Accepted::Accepted)
                }
            });
            let stats = r.unwrap();
            assert_eq!(stats.fallbacks, 1, "{status:?}");
            assert_eq!(stats.accepted, [512, 0, 0], "{status:?}");
            assert_eq!(calls[0], (0x20_0000, PageLevel::Size2M));
            assert_eq!(calls.len(), 513);
        }
        // At 4 KiB neither falls back: the error is returned with the status.
        for status in [
            st(StatusCode::PageSizeMismatch, 0),
            st(StatusCode::OperandInvalid, OperandId::RCX.0),
        ] {
            let (r, calls) = run(0x3000, 0x1000, AcceptOptions::default(), |_| Err(status));
            assert_eq!(
                r,
                Err(AcceptError::Tdx {
                    gpa: Gpa::new(0x3000).unwrap(),
                    level: PageLevel::Size4K,
                    status
                })
            );
            assert_eq!(calls, [(0x3000, PageLevel::Size4K)]);
        }
    }

    #[test]
    fn display_of_accept_error() {
        use std::string::ToString;
        assert_eq!(
            AcceptError::Input(InputError::RangeInvalid {
                start: 0x1000,
                len: 0x1800
            })
            .to_string(),
            "accept: invalid GPA range 0x1000+0x1800"
        );
        assert_eq!(
            AcceptError::Tdx {
                gpa: Gpa::new(0x4020_0000).unwrap(),
                level: PageLevel::Size2M,
                status: st(StatusCode::OperandInvalid, 1),
            }
            .to_string(),
            "accept 0x40200000 (Size2M): TDX_OPERAND_INVALID (0xc000010000000001)"
        );
        assert_eq!(
            AcceptError::Busy {
                gpa: Gpa::new(0x1000).unwrap(),
                level: PageLevel::Size4K,
                attempts: 17,
            }
            .to_string(),
            "accept 0x1000 (Size4K): still busy after 17 attempts"
        );
    }
}
