//! TDG.MR.KEY.GET through the oracle: a TDKEYREQUEST built in the arena by the model's layout,
//! on a TD whose enables the call chooses, judged by the usual verdicts and by the key written.

use tdcall::{AlignedGpa, KeyRequestor};
use tdx_expect as expect;
use tdx_model::module::{request_offsets as o, KEY_SIZE, TDKEYREQUEST_SIZE};
use tdx_model::{leaf, Gpr};

use super::{contract, Failure, Oracle, Outcome, INVALID, NO_COMPLETION};
use crate::call::Call;
use crate::pressure::under_canaries;
use crate::wrappers::Wrappers;

/// Why a typed refusal of a KEY.GET operand is not compared: on this TD the module answers
/// before it looks at that operand (no such leaf, no sealing, or the leaf not enabled).
pub const REFUSED_EARLIER: &str = "the module refuses before this operand check (not compared)";

/// Reserved bits a request with flaw 5 sets, one chosen by SW_KEYNAME: (byte, bit) in
/// RESERVED_0, RESERVED_1, TEE_TCB_SVN\[15\], TDKEYPOLICY bits 4, 11 and 63, ATTRIBUTES_MASK
/// bit 17 and XFAM_MASK bit 63.
const RESERVED_BITS: [(usize, u8); 8] = [
    (o::RESERVED_0 + 1, 0x01),
    (o::RESERVED_1 + 25, 0x80),
    (o::TEE_TCB_SVN + 15, 0x01),
    (o::TDKEYPOLICY, 0x10),
    (o::TDKEYPOLICY + 1, 0x08),
    (o::TDKEYPOLICY + 7, 0x80),
    (o::ATTRIBUTES_MASK + 2, 0x02),
    (o::XFAM_MASK + 7, 0x80),
];

/// The (platform, CONFIG_FLAGS.SEALING, TD_CTLS.ENABLE_HW_KEYS) a call's `enables` chooses.
fn enables_of(choice: u8) -> (bool, bool, bool) {
    match choice {
        0..=3 => (true, true, false),
        4 => (true, false, true),
        5 => (true, true, true),
        6 => (true, false, false),
        _ => (false, true, true),
    }
}

impl<W: Wrappers> Oracle<W> {
    /// The TDKEYREQUEST a call asks for, by the model's field offsets, with the platform's
    /// SVNs (or a CPUSVN one above them: flaw 7).
    fn key_request(&mut self, call: &Call) -> [u8; TDKEYREQUEST_SIZE] {
        let Call::MrKeyGet {
            flaw,
            policy,
            sw_keyname,
            salt,
            ..
        } = *call
        else {
            unreachable!("key_request is only given TDG.MR.KEY.GET calls")
        };
        let cfg = self.model().config().clone();
        let mut r = [0u8; TDKEYREQUEST_SIZE];
        let put = |r: &mut [u8; TDKEYREQUEST_SIZE], off: usize, v: u64| {
            r[off..off + 8].copy_from_slice(&v.to_le_bytes())
        };
        r[o::SW_KEYNAME] = sw_keyname;
        r[o::KEYSIZE_BITMAP] = 0b11;
        let policy = u64::from(policy & 3) | u64::from(policy >> 2 & 0xF) << 32;
        put(&mut r, o::TDKEYPOLICY, policy);
        put(&mut r, o::ATTRIBUTES_MASK, cfg.attributes);
        put(&mut r, o::XFAM_MASK, cfg.xfam);
        r[o::CPUSVN..o::CPUSVN + 16].copy_from_slice(&cfg.cpusvn);
        r[o::TEE_TCB_SVN..o::TEE_TCB_SVN + 3].copy_from_slice(&cfg.tee_tcb_svn[..3]);
        put(&mut r, o::SALT, salt);
        match flaw {
            4 => r[o::KEYNAME] = 1,
            5 => {
                let (byte, bit) = RESERVED_BITS[usize::from(sw_keyname) % RESERVED_BITS.len()];
                r[byte] |= bit;
            }
            6 => r[o::KEYSIZE_BITMAP] = 0b100 << (sw_keyname % 6),
            // One CPUSVN byte above the platform's (none if every byte is already 255).
            7 => {
                let i = usize::from(sw_keyname % 16);
                if let Some(k) = (0..16)
                    .map(|d| (i + d) % 16)
                    .find(|k| cfg.cpusvn[*k] < u8::MAX)
                {
                    r[o::CPUSVN + k] = cfg.cpusvn[k] + 1;
                }
            }
            _ => {}
        }
        r
    }

    /// Runs one TDG.MR.KEY.GET call and checks it. The TD's enables are the call's for the
    /// call only.
    pub(super) fn run_mr_key_get(&mut self, call: &Call, seed: u64) -> Result<Outcome, Failure> {
        let Call::MrKeyGet { enables, .. } = *call else {
            unreachable!("run_mr_key_get is only given TDG.MR.KEY.GET calls")
        };
        let saved = self.model().key_get_enables();
        let (platform, sealing, hw_keys) = enables_of(enables);
        self.model().set_key_get_enables(platform, sealing, hw_keys);
        let result = self.mr_key_get_checked(call, seed);
        let (platform, sealing, hw_keys) = saved;
        self.model().set_key_get_enables(platform, sealing, hw_keys);
        result
    }

    fn mr_key_get_checked(&mut self, call: &Call, seed: u64) -> Result<Outcome, Failure> {
        let Call::MrKeyGet {
            request,
            key,
            requestor,
            busy,
            ..
        } = *call
        else {
            unreachable!()
        };
        let c = contract(leaf::TDG_MR_KEY_GET, 0);
        let rgpa = self.mem_gpa(request, TDKEYREQUEST_SIZE);
        let kgpa = self.mem_gpa(key, KEY_SIZE);
        let bytes = self.key_request(call);
        self.write_arena(rgpa, &bytes);
        let fields = [
            ("tdkeyrequest_gpa", rgpa),
            ("key_gpa", kgpa),
            ("requestor", u64::from(requestor)),
        ];
        // A typed refusal is compared with the model on the same operand alone (the others
        // valid), in the module's check order: R8, RCX, RDX. The model reaches those checks
        // only where the leaf exists and is enabled.
        let arena = self.session.arena_gpa();
        let reaches_operands = {
            let m = self.model();
            let (platform, sealing, hw_keys) = m.key_get_enables();
            m.config().module_version >= tdx_model::ModuleVersion::V1_5_34
                && platform
                && (sealing || hw_keys)
        };
        let refused = |field: &'static str, e| (field, e);
        let typed = KeyRequestor::new(requestor)
            .map_err(|e| refused("requestor", e))
            .and_then(|q| {
                AlignedGpa::<128>::new(rgpa)
                    .map_err(|e| refused("tdkeyrequest_gpa", e))
                    .map(|r| (q, r))
            })
            .and_then(|(q, r)| {
                AlignedGpa::<32>::new(kgpa)
                    .map_err(|e| refused("key_gpa", e))
                    .map(|k| (q, r, k))
            });
        let (q, r, k) = match typed {
            Ok(t) => t,
            Err(_) if !reaches_operands => return Ok(self.not_run(c, REFUSED_EARLIER)),
            Err((field, e)) => {
                let alone = [
                    ("tdkeyrequest_gpa", arena),
                    ("key_gpa", arena),
                    ("requestor", 0),
                ]
                .map(|(n, v)| {
                    if n == field {
                        (n, fields.iter().find(|f| f.0 == n).expect("a field").1)
                    } else {
                        (n, v)
                    }
                });
                return self.check_rejection(c, call, &alone, e, INVALID, Some(field));
            }
        };
        if !self.completes(c, &fields, &[rgpa, kgpa]) {
            return Ok(self.not_run(c, NO_COMPLETION));
        }
        let in_arena = self.arena_offset(rgpa, TDKEYREQUEST_SIZE).is_some()
            && self.arena_offset(kgpa, KEY_SIZE).is_some();
        let seen: [u8; TDKEYREQUEST_SIZE] = self.arena_bytes(rgpa);
        let before: [u8; KEY_SIZE] = self.arena_bytes(kgpa);
        // Derived apart from the call, from the request as the module will read it.
        let derived = self.model().derive_key(&seen, requestor);
        self.model().set_rtmr_busy(busy);
        let w = &self.wrappers;
        // SAFETY: both addresses are the arena (owned by the session and not borrowed during the
        // call) or memory the simulated module does not write.
        let (got, lost) = under_canaries(seed, || unsafe { w.mr_key_get(r, k, q) });
        self.model().set_rtmr_busy(false);
        let rec = self.checked_record(c, call, &fields, lost)?;
        self.decoding(c, call, &rec, &got, &expect::key_get(c, &rec.output))?;
        if in_arena {
            let after: [u8; KEY_SIZE] = self.arena_bytes(kgpa);
            let success = rec.output[Gpr::Rax] == 0;
            let want = if success { derived } else { before };
            self.semantics(c, call, &rec, after == want, || {
                format!("the key buffer after {got:?} is {after:02x?}; the model's is {want:02x?}")
            })?;
        }
        Ok(self.outcome(c, &rec))
    }
}
