//! The TDX 1.5 guest leaves through the oracle: the same verdicts as the core leaves.

use tdcall::leaf15::{
    AttrWrError, EnterInvalidate, GlaList, GlaRange, GpaAttrs, L2Exit, L2Vm, PageMapping,
    ServtdError,
};
use tdcall::{AcceptPage, AlignedGpa, FieldId, Gpa, PageLevel, TdxStatus};
use tdx_expect as expect;
use tdx_model::contract::layout::{pack, GLA_ENTRY, GLA_LIST_INFO};
use tdx_model::contract::LeafContract;
use tdx_model::metadata::MdEntry;
use tdx_model::metadata15::{servtd_masks, sys_fields, VP_FIELDS, VP_FIELDS_BASE};
use tdx_model::{leaf, Gpr, Regs};

use super::{contract, Failure, Oracle, Outcome, Verdict, FIELD_ID_INCORRECT, INVALID};
use crate::call::{Call, FieldRef, MemRef};
use crate::pressure::under_canaries;
use crate::wrappers::Wrappers;
use tdx_trap::{Record, RecordKind, ARENA_SIZE};

/// The TD-scope element id a TDG.SERVTD.RD/WR call names: `Known(i)` with `i` even is an
/// element the service TD may write (MIG_DEC_KEY, MIG_VERSION: `servtd_masks`), so that writes
/// can succeed; odd, any element the guest or the service TD may access (those of the guest
/// alone first, which the service TD may not read; then in table order); `Raw(x)` is `x`.
pub fn servtd_field(f: FieldRef) -> u64 {
    // The two lists, built once: this runs on every SERVTD call of a fuzz iteration.
    static LISTS: std::sync::OnceLock<(Vec<u64>, Vec<u64>)> = std::sync::OnceLock::new();
    let (writable, accessible) = LISTS.get_or_init(|| {
        use tdx_model::metadata::{element_ids_any_version, td_fields};
        let service = |v, e: &MdEntry| servtd_masks(v, e.name) != (0, 0);
        let guest = |e: &MdEntry| e.guest_rd_mask != 0 || e.guest_wr_mask != 0;
        // The service-TD arrays (CPUID_VALUES, X2APIC_IDS: hundreds of elements) go last, so
        // that an odd `Known` index (128 of them) reaches every other field.
        let big = |e: &MdEntry| e.num_elements() > 16;
        let writable = element_ids_any_version(td_fields, |v, e| servtd_masks(v, e.name).1 != 0);
        let mut accessible = element_ids_any_version(td_fields, |v, e| !service(v, e) && guest(e));
        let small = element_ids_any_version(td_fields, |v, e| service(v, e) && !big(e));
        let arrays = element_ids_any_version(td_fields, |v, e| service(v, e) && big(e));
        for id in small.into_iter().chain(arrays) {
            if !accessible.contains(&id) {
                accessible.push(id);
            }
        }
        (writable, accessible)
    });
    let pick = |ids: &[u64], i: u8| ids[usize::from(i / 2) % ids.len()];
    match f {
        FieldRef::Raw(x) => x,
        FieldRef::Known(i) if i % 2 == 0 => pick(writable, i),
        FieldRef::Known(i) => pick(accessible, i),
    }
}

/// Every element id of the SYS tables of every modelled version
/// ([`tdx_model::metadata::element_ids_any_version`]), those a guest may read on some version
/// first: a `Known` index reaches 256 of the 364, and every readable one is among them.
fn sys_element_ids() -> &'static [u64] {
    static IDS: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        use tdx_model::metadata::element_ids_any_version;
        let mut ids = element_ids_any_version(sys_fields, |_, e| e.guest_rd_mask != 0);
        for id in element_ids_any_version(sys_fields, |_, _| true) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    })
}

/// Every element id of a metadata table, in table order.
fn element_ids(table: &[MdEntry]) -> impl Iterator<Item = u64> + '_ {
    table.iter().flat_map(|e| {
        (0..u64::from(e.num_elements()))
            .map(move |k| (e.field_id & !0xff_ffff) | ((e.field_id & 0xff_ffff) + k))
    })
}

/// One output register's value rebuilt from its named fields, each at its place (fields not
/// named read as zero): decoding by the contract's names, not by register.
fn output_word(c: &LeafContract, out: &Regs, names: &[&str]) -> u64 {
    names
        .iter()
        .map(|n| {
            let f = c
                .outputs
                .iter()
                .flat_map(|o| o.fields)
                .find(|f| f.name == *n)
                .unwrap_or_else(|| panic!("{} has no output field {n}", c.name));
            c.output_field(out, n).expect("the field exists") << f.lsb
        })
        .fold(0, |acc, v| acc | v)
}

fn servtd_expect<T>(
    c: &LeafContract,
    out: &Regs,
    ok: impl FnOnce() -> T,
) -> Result<T, ServtdError> {
    let raw = out[Gpr::Rax];
    if raw == 0 {
        return Ok(ok());
    }
    if raw & !0xffff_ffff == tdx_model::status::TDX_TARGET_UUID_UPDATED {
        let uuid = [
            "current_uuid_0",
            "current_uuid_1",
            "current_uuid_2",
            "current_uuid_3",
        ]
        .map(|n| c.output_field(out, n).expect("uuid field"));
        return Err(ServtdError::UuidUpdated {
            status: TdxStatus::from_raw(raw),
            uuid,
        });
    }
    Err(ServtdError::Status(TdxStatus::from_raw(raw)))
}

fn attrs_of(c: &LeafContract, out: &Regs) -> GpaAttrs {
    GpaAttrs(
        ["attr_vm0", "attr_vm1", "attr_vm2", "attr_vm3"]
            .map(|n| c.output_field(out, n).expect("attribute field") as u16),
    )
}

fn mapping_of(c: &LeafContract, out: &Regs) -> PageMapping {
    PageMapping {
        level: c.output_field(out, "level").expect("level") as u8,
        gpa: c.output_field(out, "mapped_gpa").expect("gpa") << 12,
        pending: c.output_field(out, "pending").expect("pending") != 0,
    }
}

impl<W: Wrappers> Oracle<W> {
    /// Has the host hold the SEPT entry lock of `gpa` for a call, where the model tracks it
    /// (the accept region); whether it did (the caller releases it after the call).
    fn hold_sept(&mut self, gpa: u64, busy: bool) -> bool {
        let cfg = self.model().config();
        let held = busy && gpa.wrapping_sub(cfg.accept_region_base) < cfg.accept_region_size;
        if held {
            self.model().set_busy(gpa, true);
        }
        held
    }

    /// The VCPU-context elements a `Known` field names: the TDVPS subset, then the modelled
    /// L2 VMCS fields of the TD's L2 VMs.
    fn vp_ids(&mut self) -> Vec<u64> {
        let n = self.model().config().num_l2_vms;
        let l2 = usize::from(n);
        element_ids(&VP_FIELDS[..(VP_FIELDS_BASE + l2).min(VP_FIELDS.len())])
            .chain(tdx_model::metadata15::l2_vmcs_element_ids(n))
            .collect()
    }

    fn pick(ids: &[u64], f: FieldRef) -> u64 {
        match f {
            FieldRef::Known(i) => ids[i as usize % ids.len()],
            FieldRef::Raw(x) => x,
        }
    }

    /// Runs a wrapper under register pressure and checks encoding, clobbers and decoding.
    fn leaf<T: PartialEq + core::fmt::Debug>(
        &mut self,
        c: &'static LeafContract,
        call: &Call,
        fields: &[(&str, u64)],
        seed: u64,
        run: impl FnOnce(&W) -> T,
        want: impl FnOnce(&LeafContract, &Regs) -> T,
    ) -> Result<(Record, T), Failure> {
        let w = &self.wrappers;
        let (got, lost) = under_canaries(seed, || run(w));
        let rec = self.checked_record(c, call, fields, lost)?;
        let want = want(c, &rec.output);
        self.decoding(c, call, &rec, &got, &want)?;
        Ok((rec, got))
    }

    /// A metadata field's value as the model's own read returns it (TDG.VP.RD of this vCPU, or
    /// TDG.SYS.RD), by the read's contract.
    fn model_read(&mut self, leaf: u16, id: u64) -> Option<u64> {
        let fields: &[(&str, u64)] = if leaf == leaf::TDG_VP_RD {
            &[("vm_index", 0), ("field_id", id)]
        } else {
            &[("field_id", id)]
        };
        self.model_read_fields(leaf, fields)
    }

    /// The `value` output of a successful read by the model itself of `fields`.
    fn model_read_fields(&mut self, leaf: u16, fields: &[(&str, u64)]) -> Option<u64> {
        let c = contract(leaf, 0);
        let out = self.dry_run(&super::contract_regs(c, fields)?)?;
        (out[Gpr::Rax] == 0).then(|| c.output_field(&out, "value"))?
    }

    /// Runs one TDX 1.5 leaf call and checks it.
    pub(super) fn run_leaf15(&mut self, call: &Call, seed: u64) -> Result<Outcome, Failure> {
        match *call {
            Call::VpRd { field, first } | Call::SysRd { field, first } => {
                let vp = matches!(call, Call::VpRd { .. });
                let c = contract(
                    if vp {
                        leaf::TDG_VP_RD
                    } else {
                        leaf::TDG_SYS_RD
                    },
                    0,
                );
                let ids: Vec<u64> = if vp {
                    self.vp_ids()
                } else {
                    sys_element_ids().to_vec()
                };
                let id = if first {
                    u64::MAX
                } else {
                    Self::pick(&ids, field)
                };
                let fields_vp = [("vm_index", 0), ("field_id", id)];
                let fields_sys = [("field_id", id)];
                let fields: &[(&str, u64)] = if vp { &fields_vp } else { &fields_sys };
                if first {
                    let (rec, _) = self.leaf(
                        c,
                        call,
                        fields,
                        seed,
                        |w| {
                            if vp {
                                w.vp_rd_first()
                            } else {
                                w.sys_rd_first()
                            }
                            .map(FieldId::raw)
                        },
                        expect::first_field_id,
                    )?;
                    return Ok(self.outcome(c, &rec));
                }
                let f = match FieldId::new(id) {
                    Ok(f) => f,
                    Err(e) => {
                        return self.check_rejection(c, call, fields, e, FIELD_ID_INCORRECT, None)
                    }
                };
                let (rec, got) = self.leaf(
                    c,
                    call,
                    fields,
                    seed,
                    |w| {
                        if vp { w.vp_rd(f) } else { w.sys_rd(f) }
                            .map(|(v, n)| (v, n.map(FieldId::raw)))
                    },
                    |c, out| expect::metadata_read(c, out, true),
                )?;
                if let Ok((v, _)) = got {
                    // The field's value as the simulated TD holds it, read apart from the call.
                    let m = if vp {
                        self.model_read(leaf::TDG_VP_RD, id)
                    } else {
                        self.model().sys_metadata(id)
                    };
                    self.semantics(c, call, &rec, m == Some(v), || {
                        format!("read {v:#x}; the model's field holds {m:x?}")
                    })?;
                }
                Ok(self.outcome(c, &rec))
            }
            Call::VpWr {
                field,
                value,
                mask,
                narrow,
            } => {
                let (value, mask) = if narrow {
                    (value & 0xff, mask & 0xff)
                } else {
                    (value, mask)
                };
                let c = contract(leaf::TDG_VP_WR, 0);
                let ids = self.vp_ids();
                let id = Self::pick(&ids, field);
                let fields = [
                    ("vm_index", 0),
                    ("field_id", id),
                    ("value", value),
                    ("write_mask", mask),
                ];
                let f = match FieldId::new(id) {
                    Ok(f) => f,
                    Err(e) => {
                        return self.check_rejection(c, call, &fields, e, FIELD_ID_INCORRECT, None)
                    }
                };
                let before = self.model_read(leaf::TDG_VP_RD, id);
                let (rec, got) = self.leaf(
                    c,
                    call,
                    &fields,
                    seed,
                    |w| w.vp_wr(f, value, mask),
                    expect::old_value,
                )?;
                let after = self.model_read(leaf::TDG_VP_RD, id);
                // A field the guest may write but not read has nothing to compare: not counted.
                if let Some(b) = before {
                    // A frozen field (TD_CTLS.LOCK, 1.5.34 on) takes its value without a store:
                    // the model says which.
                    let frozen = self.model().vp_write_frozen(id);
                    let ok = match got {
                        Ok(old) if frozen => old == b && after == before,
                        Ok(old) => old == b && after == Some((b & !mask) | (value & mask)),
                        Err(_) => after == before,
                    };
                    self.semantics(c, call, &rec, ok, || {
                        format!("field was {before:x?}, reads {after:x?} after {got:x?}")
                    })?;
                }
                Ok(self.outcome(c, &rec))
            }
            Call::SysRdAll { list, first } => {
                let c = contract(leaf::TDG_SYS_RDALL, 0);
                let gpa = self.mem_gpa(list, 1024);
                let ids: Vec<u64> = sys_element_ids().to_vec();
                let first = Self::pick(&ids, first);
                let fields = [("list_gpa", gpa), ("field_id", first)];
                let l = match AlignedGpa::<4096>::new(gpa) {
                    Ok(l) => l,
                    Err(e) => {
                        return self.check_rejection(c, call, &fields, e, INVALID, Some("list_gpa"))
                    }
                };
                if !self.completes_at(c, &fields) {
                    return Ok(self.not_run(c, super::NO_COMPLETION));
                }
                // SAFETY: the buffer is the arena (or memory the simulated module does not write).
                let (rec, _) = self.leaf(
                    c,
                    call,
                    &fields,
                    seed,
                    |w| unsafe { w.sys_rdall(l, first) },
                    expect::sys_rdall,
                )?;
                Ok(self.outcome(c, &rec))
            }
            Call::ServtdRd {
                binding,
                field,
                uuid,
                busy,
            }
            | Call::ServtdWr {
                binding,
                field,
                uuid,
                busy,
                ..
            } => {
                let wr = matches!(call, Call::ServtdWr { .. });
                let c = contract(
                    if wr {
                        leaf::TDG_SERVTD_WR
                    } else {
                        leaf::TDG_SERVTD_RD
                    },
                    0,
                );
                let handle = self.model().servtd_binding_handle().unwrap_or(0);
                let handle = match binding {
                    1 => handle.wrapping_add(1),
                    2 => handle.wrapping_add(0x1000),
                    3 => 0,
                    _ => handle,
                };
                let target = self.model().config().servtd_target.clone();
                let u = match (uuid % 3, &target) {
                    (0, Some(t)) => t.td_uuid,
                    (1, Some(t)) => t.preimport_uuid,
                    _ => [1, 2, 3, 4],
                };
                let id = servtd_field(field);
                let (value, mask) = match *call {
                    Call::ServtdWr { value, mask, .. } => (value, mask),
                    _ => (0, 0),
                };
                let mut fields = vec![("binding_handle", handle), ("field_id", id)];
                if wr {
                    fields.extend([("value", value), ("write_mask", mask)]);
                }
                fields.extend([
                    ("target_uuid_0", u[0]),
                    ("target_uuid_1", u[1]),
                    ("target_uuid_2", u[2]),
                    ("target_uuid_3", u[3]),
                ]);
                let f = match FieldId::new(id) {
                    Ok(f) => f,
                    Err(e) => {
                        // The field id alone: the bound handle and the target's UUID.
                        let good = self.model().servtd_binding_handle().unwrap_or(0);
                        let t = target.map_or([0; 4], |t| t.td_uuid);
                        let mut alone = fields.clone();
                        for (n, v) in alone.iter_mut() {
                            match *n {
                                "binding_handle" => *v = good,
                                "target_uuid_0" => *v = t[0],
                                "target_uuid_1" => *v = t[1],
                                "target_uuid_2" => *v = t[2],
                                "target_uuid_3" => *v = t[3],
                                _ => {}
                            }
                        }
                        return self.check_rejection(c, call, &alone, e, FIELD_ID_INCORRECT, None);
                    }
                };
                let before = if wr {
                    let mut read = fields.clone();
                    read.retain(|(n, _)| *n != "value" && *n != "write_mask");
                    self.model_read_fields(leaf::TDG_SERVTD_RD, &read)
                } else {
                    None
                };
                self.model().set_servtd_bindings_busy(busy);
                // The host changes the binding for this call only (restored below).
                let saved = self.model().config().servtd_target.clone();
                let caller = {
                    let cfg = self.model().config();
                    (
                        cfg.servtd_num != 0,
                        cfg.attributes & tdx_model::module::ATTR_MIGRATABLE != 0,
                    )
                };
                if binding >= 7 {
                    self.model().set_servtd_caller(binding == 7, binding == 8);
                }
                if let Some(t) = self.model().servtd_target_mut() {
                    match binding {
                        4 => t.bound = false,
                        5 => t.binding_uuid = [9; 4],
                        6 => t.info_hash_matches = false,
                        _ => {}
                    }
                }
                let result = if wr {
                    self.leaf(
                        c,
                        call,
                        &fields,
                        seed,
                        |w| {
                            w.servtd_wr(handle, f, value, mask, u)
                                .map(|old| (old, None))
                        },
                        |c, out| {
                            servtd_expect(c, out, || {
                                (c.output_field(out, "old_value").expect("old"), None)
                            })
                        },
                    )
                } else {
                    self.leaf(
                        c,
                        call,
                        &fields,
                        seed,
                        |w| {
                            w.servtd_rd(handle, f, u)
                                .map(|(v, n)| (v, n.map(FieldId::raw)))
                        },
                        |c, out| {
                            servtd_expect(c, out, || {
                                let next = c.output_field(out, "next_field_id").expect("next");
                                (
                                    c.output_field(out, "value").expect("value"),
                                    (next != u64::MAX).then_some(next),
                                )
                            })
                        },
                    )
                };
                self.model().set_servtd_bindings_busy(false);
                self.model().set_servtd_caller(caller.0, caller.1);
                if let (Some(t), Some(saved)) = (self.model().servtd_target_mut(), saved) {
                    *t = saved;
                }
                let (rec, got) = result?;
                // The target's field as the model's own TDG.SERVTD.RD returns it afterwards.
                let mut read = fields.clone();
                read.retain(|(n, _)| *n != "value" && *n != "write_mask");
                let after = self.model_read_fields(leaf::TDG_SERVTD_RD, &read);
                match (wr, got) {
                    (false, Ok((v, _))) => {
                        self.semantics(c, call, &rec, after == Some(v), || {
                            format!("read {v:#x}; the target's field holds {after:x?}")
                        })?;
                    }
                    (true, Ok((old, _))) if before.is_some() => {
                        let want = (old & !mask) | (value & mask);
                        let ok = before == Some(old) && after == Some(want);
                        self.semantics(c, call, &rec, ok, || {
                            format!("field was {before:x?}, reads {after:x?} after writing {value:#x} under {mask:#x} (old {old:#x})")
                        })?;
                    }
                    _ => {}
                }
                Ok(self.outcome(c, &rec))
            }
            Call::VerifyReport { mac, tamper, data } => {
                let c = contract(leaf::TDG_MR_VERIFYREPORT, 0);
                let gpa = self.mem_gpa(mac, 256);
                let mut report_data = [0u8; 64];
                report_data[..16].copy_from_slice(&data);
                let mut genuine = [0u8; 256];
                genuine.copy_from_slice(&self.model().expected_report(&report_data)[..256]);
                if tamper != 0 {
                    genuine[usize::from(tamper - 1) % 256] ^= 0x5a;
                }
                self.write_arena(gpa, &genuine);
                let fields = [("reportmacstruct_gpa", gpa)];
                let g = match AlignedGpa::<256>::new(gpa) {
                    Ok(g) => g,
                    Err(e) => {
                        return self.check_rejection(
                            c,
                            call,
                            &fields,
                            e,
                            INVALID,
                            Some("reportmacstruct_gpa"),
                        )
                    }
                };
                if !self.completes_at(c, &fields) {
                    return Ok(self.not_run(c, super::NO_COMPLETION));
                }
                let (rec, got) = self.leaf(
                    c,
                    call,
                    &fields,
                    seed,
                    |w| w.verifyreport(g),
                    |_, out| expect::status(out),
                )?;
                // A genuine REPORTMACSTRUCT in the arena (private) verifies; a tampered one
                // does not.
                if matches!(mac, MemRef::Slot(_)) && self.arena_offset(gpa, 256).is_some() {
                    self.semantics(c, call, &rec, got.is_ok() == (tamper == 0), || {
                        format!("VERIFYREPORT returned {got:?} for a report tampered at {tamper}")
                    })?;
                }
                Ok(self.outcome(c, &rec))
            }
            Call::AttrRd { page, busy } => {
                let c = contract(leaf::TDG_MEM_PAGE_ATTR_RD, 0);
                let gpa = self.region_gpa(page);
                let fields = [("gpa", gpa)];
                let g = match Gpa::new(gpa) {
                    Ok(g) => g,
                    Err(e) => {
                        return self.check_rejection(c, call, &fields, e, INVALID, Some("gpa"))
                    }
                };
                if !self.completes_at(c, &fields) {
                    return Ok(self.not_run(c, super::NO_COMPLETION));
                }
                let held = self.hold_sept(gpa, busy);
                let result = self.leaf(
                    c,
                    call,
                    &fields,
                    seed,
                    |w| w.attr_rd(g),
                    |c, out| expect::status(out).map(|_| (mapping_of(c, out), attrs_of(c, out))),
                );
                if held {
                    self.model().set_busy(gpa, false);
                }
                let (rec, got) = result?;
                if let Ok((_, attrs)) = got {
                    let m = self.model().l2_page_attr(gpa);
                    self.semantics(c, call, &rec, attrs.0 == m, || {
                        format!("read {attrs:?}; the model's page holds {m:x?}")
                    })?;
                }
                Ok(self.outcome(c, &rec))
            }
            Call::AttrWr {
                page,
                level,
                attrs,
                flags,
                busy,
                l2_sept_missing,
            } => {
                let c = contract(leaf::TDG_MEM_PAGE_ATTR_WR, 0);
                let gpa = self.region_gpa(page);
                let gpa_field = if gpa & 0xfff == 0 {
                    gpa >> 12
                } else {
                    u64::MAX
                };
                let level = u64::from(level);
                let a = GpaAttrs::from_raw(attrs);
                let fl = GpaAttrs::from_raw(flags);
                let mut fields = vec![("level", level), ("gpa", gpa_field)];
                for (i, n) in ["attr_vm0", "attr_vm1", "attr_vm2", "attr_vm3"]
                    .iter()
                    .enumerate()
                {
                    fields.push((n, u64::from(a.0[i])));
                }
                for (i, n) in ["flags_vm0", "flags_vm1", "flags_vm2", "flags_vm3"]
                    .iter()
                    .enumerate()
                {
                    fields.push((n, u64::from(fl.0[i])));
                }
                let p = match Gpa::new(gpa)
                    .and_then(|g| AcceptPage::new(g, PageLevel::from_raw(level)?))
                {
                    Ok(p) => p,
                    Err(e) => {
                        // RCX alone: the attribute and flag words zero (always valid).
                        let alone: Vec<(&str, u64)> = fields
                            .iter()
                            .map(|&(n, v)| {
                                (
                                    n,
                                    if n.starts_with("attr") || n.starts_with("flags") {
                                        0
                                    } else {
                                        v
                                    },
                                )
                            })
                            .collect();
                        return self.check_rejection(c, call, &alone, e, INVALID, Some("gpa"));
                    }
                };
                if !self.completes_at(c, &fields) {
                    return Ok(self.not_run(c, super::NO_COMPLETION));
                }
                let held = self.hold_sept(gpa, busy);
                let sept_ready = self.model().config().l2_sept_ready;
                self.model()
                    .set_l2_sept_ready(sept_ready && !l2_sept_missing);
                let result = self.leaf(
                    c,
                    call,
                    &fields,
                    seed,
                    |w| w.attr_wr(p, a, fl),
                    |c, out| {
                        let raw = out[Gpr::Rax];
                        if raw != 0 {
                            Err(AttrWrError {
                                status: TdxStatus::from_raw(raw),
                                attrs: attrs_of(c, out),
                            })
                        } else {
                            Ok((mapping_of(c, out), attrs_of(c, out)))
                        }
                    },
                );
                self.model().set_l2_sept_ready(sept_ready);
                if held {
                    self.model().set_busy(gpa, false);
                }
                let (rec, got) = result?;
                if let Ok((_, now)) = got {
                    // Every alias this call wrote (its word has VALID) holds what the call
                    // reported. For the other VMs the module returns the combined input word
                    // (`tdg_mem_page_attr_wr.c` returns `new_gpa_attr`), which no state records.
                    let m = self.model().l2_page_attr(gpa);
                    let compared: Vec<usize> = (1..4)
                        .filter(|&vm| a.0[vm] & 0x8000 != 0 && m[vm] != 0)
                        .collect();
                    // Counted only when some alias was written (else nothing to compare).
                    if !compared.is_empty() {
                        let ok = compared.iter().all(|&vm| m[vm] == now.0[vm]);
                        self.semantics(c, call, &rec, ok, || {
                            format!("ATTR.WR reported {now:?}; the model's page holds {m:x?}")
                        })?;
                    }
                }
                Ok(self.outcome(c, &rec))
            }
            Call::VpEnter {
                vm,
                invalidate,
                state,
                pending,
                vapic_missing,
                guest_state,
            } => {
                let c = contract(leaf::TDG_VP_ENTER, 0);
                let gpa = self.mem_gpa(state, 256);
                let arena = self.session.arena_gpa();
                let fields = [
                    ("invalidate", u64::from(invalidate % 4)),
                    ("vm_index", u64::from(vm)),
                    ("guest_state_gpa", gpa),
                ];
                let v = match L2Vm::new(vm) {
                    Ok(v) => v,
                    Err(e) => {
                        let alone = [
                            ("invalidate", u64::from(invalidate % 4)),
                            ("vm_index", u64::from(vm)),
                            ("guest_state_gpa", arena),
                        ];
                        return self.check_rejection(c, call, &alone, e, INVALID, Some("vm_index"));
                    }
                };
                let s = match AlignedGpa::<256>::new(gpa) {
                    Ok(s) => s,
                    Err(e) => {
                        return self.check_rejection(
                            c,
                            call,
                            &fields,
                            e,
                            INVALID,
                            Some("guest_state_gpa"),
                        )
                    }
                };
                // RFLAGS and RIP of the L2 state (`l2_enter_guest_state_t` bytes 128 and 136)
                // in a buffer of the harness's: refused ones for states 2 and 3; for the others
                // a valid one where the buffer's is not (a state the module wrote back stays).
                let at = gpa.wrapping_add(128);
                let now: Option<[u8; 16]> = self.arena_offset(at, 16).map(|_| self.arena_bytes(at));
                let word = |b: &[u8; 16], i: usize| {
                    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
                };
                let want = match guest_state % 4 {
                    2 => Some((0u64, 0x40_0000u64)),
                    3 => Some((0x2, 0x8000_0000_0000_0000)),
                    _ => now
                        .filter(|b| !tdx_model::l2_state_enters(word(b, 0), word(b, 8)))
                        .map(|_| (0x2, 0x40_0000)),
                };
                if let Some((rflags, rip)) = want {
                    let mut regs = [0u8; 16];
                    regs[..8].copy_from_slice(&rflags.to_le_bytes());
                    regs[8..].copy_from_slice(&rip.to_le_bytes());
                    self.write_arena(at, &regs);
                }
                let inv = match invalidate % 4 {
                    0 => EnterInvalidate::None,
                    1 => EnterInvalidate::InveptSingle,
                    2 => EnterInvalidate::InvvpidSingle,
                    _ => EnterInvalidate::InvvpidSingleRetainGlobal,
                };
                self.model().set_l1_interrupt_pending(pending);
                // The L1 VMM has not set this VM's virtual-APIC page GPA, for this call only.
                let vapic_vm = usize::from(vm).clamp(1, 3);
                let vapic = self.model().config().l2_vapic_set[vapic_vm];
                let unset = vapic_missing && (1..=3).contains(&vm);
                self.model().set_l2_vapic(vapic_vm, vapic && !unset);
                if let Err(why) = self.completion_at(c, &fields) {
                    self.model().set_l1_interrupt_pending(false);
                    self.model().set_l2_vapic(vapic_vm, vapic);
                    return Ok(self.not_run(c, why));
                }
                let entries = self.model().l2_entries();
                // SAFETY: the state buffer is the arena (or memory the simulated module does not
                // write).
                let result = self.leaf(
                    c,
                    call,
                    &fields,
                    seed,
                    |w| unsafe { w.vp_enter(v, inv, s) },
                    |_, out| {
                        let st = TdxStatus::from_raw(out[Gpr::Rax]);
                        // TDX_L2_VM_ENTRY_FAILED too: the VM never ran, whatever outputs come
                        // with it.
                        if out[Gpr::Rax] >> 63 == 1
                            || out[Gpr::Rax] & !0xffff_ffff
                                == tdx_model::status::TDX_PENDING_INTERRUPT
                        {
                            return Err(st);
                        }
                        let w = |names: &[&str]| output_word(c, out, names);
                        Ok(L2Exit {
                            status: st,
                            exit_qualification: w(&["exit_qualification"]),
                            gla: w(&["guest_linear_address"]),
                            cs: w(&["cs_selector", "cs_ar", "cs_limit"]),
                            cs_base: w(&["cs_base"]),
                            gpa: w(&["guest_physical_address"]),
                            interruption: w(&["intr_info", "intr_error_code"]),
                            idt_vectoring: w(&["idt_vectoring_info", "idt_vectoring_error_code"]),
                            instruction: w(&["instruction_info", "instruction_length"]),
                            extra: w(&["cpl"]),
                            extended_qualification: w(&["extended_exit_qualification"]),
                        })
                    },
                );
                self.model().set_l1_interrupt_pending(false);
                self.model().set_l2_vapic(vapic_vm, vapic);
                let (rec, got) = result?;
                let now = self.model().l2_entries();
                self.semantics(c, call, &rec, (now > entries) == got.is_ok(), || {
                    format!(
                        "VP.ENTER returned {got:?}; the L2 VM was entered {} times",
                        now - entries
                    )
                })?;
                Ok(self.outcome(c, &rec))
            }
            Call::Invept { vms } => {
                let c = contract(leaf::TDG_VP_INVEPT, 0);
                let fields = [("vm_bitmap", u64::from(vms))];
                let before = self.model().invept_count();
                let (rec, got) = self.leaf(
                    c,
                    call,
                    &fields,
                    seed,
                    |w| w.invept(vms.into()),
                    |_, out| expect::status(out),
                )?;
                let after = self.model().invept_count();
                let want = if got.is_ok() {
                    u64::from(vms.count_ones())
                } else {
                    0
                };
                self.semantics(c, call, &rec, after - before == want, || {
                    format!("INVEPT returned {got:?}; invalidations {before} -> {after}")
                })?;
                Ok(self.outcome(c, &rec))
            }
            Call::Invgla { vm, base, pages } => {
                let c = contract(leaf::TDG_VP_INVGLA, 0);
                // The GLA entry from the call's own base and page count, by the contract's
                // layout; a range it cannot express (unaligned base, no pages or too many) has
                // no TDCALL and nothing to compare.
                let entry = (base & 0xfff == 0)
                    .then(|| {
                        let last = u64::from(pages).checked_sub(1)?;
                        pack(
                            GLA_ENTRY,
                            &[("last_gla_index", last), ("base_gla_page", base >> 12)],
                        )
                    })
                    .flatten();
                let fields = [
                    ("list", 0),
                    ("vm_index", u64::from(vm)),
                    ("gla_entry_or_list", entry.unwrap_or(0)),
                ];
                let v = match L2Vm::new(vm) {
                    Ok(v) => v,
                    Err(e) => {
                        return self.check_rejection(c, call, &fields, e, INVALID, Some("vm_index"))
                    }
                };
                let (Some(_), Ok(range)) = (entry, GlaRange::new(base, pages)) else {
                    return Ok(self.not_run(c, super::UNENCODABLE));
                };
                let before = self.model().invgla_pages();
                let (rec, got) = self.leaf(
                    c,
                    call,
                    &fields,
                    seed,
                    |w| w.invgla(v, range),
                    |_, out| expect::status(out),
                )?;
                let done = self.model().invgla_pages() - before;
                // A non-canonical page stops the range part way: only success says how many.
                let ok = if got.is_ok() {
                    done == u64::from(pages)
                } else {
                    done < u64::from(pages)
                };
                self.semantics(c, call, &rec, ok, || {
                    format!("INVGLA returned {got:?} after invalidating {done} of {pages} pages")
                })?;
                Ok(self.outcome(c, &rec))
            }
            Call::InvglaList {
                vm,
                list,
                first,
                count,
                interrupts,
            } => {
                let c = contract(leaf::TDG_VP_INVGLA, 0);
                let gpa = self.mem_gpa(list, 1024);
                let arena = self.session.arena_gpa();
                // The list: one-page ranges at canonical addresses.
                let entries: Vec<u8> = (0..512u64)
                    .flat_map(|i| ((i + 1) << 12).to_le_bytes())
                    .collect();
                self.write_arena(
                    gpa & !0xfff,
                    &entries[..entries.len().min(
                        ARENA_SIZE - ((gpa & !0xfff).wrapping_sub(arena) as usize).min(ARENA_SIZE),
                    )],
                );
                // GLA_LIST_INFO by the contract's layout; bits 11:0 of the list GPA, or a first
                // entry or count wider than its field, have no place in it.
                let info = (gpa & 0xfff == 0)
                    .then(|| {
                        pack(
                            GLA_LIST_INFO,
                            &[
                                ("first_entry", u64::from(first)),
                                ("list_gpa_page", gpa >> 12),
                                ("num_entries", u64::from(count)),
                            ],
                        )
                    })
                    .flatten();
                let Some(info) = info else {
                    return Ok(self.not_run(c, super::UNENCODABLE));
                };
                let fields = [
                    ("list", 1),
                    ("vm_index", u64::from(vm)),
                    ("gla_entry_or_list", info),
                ];
                let v = match L2Vm::new(vm) {
                    Ok(v) => v,
                    Err(e) => {
                        return self.check_rejection(c, call, &fields, e, INVALID, Some("vm_index"))
                    }
                };
                let l = match AlignedGpa::<4096>::new(gpa) {
                    Ok(l) => l,
                    Err(_) => return Ok(self.not_run(c, super::UNENCODABLE)),
                };
                let gl = match GlaList::new(l, first, count) {
                    Ok(g) => g,
                    Err(e) => {
                        let alone = [("list", 1), ("vm_index", 1), ("gla_entry_or_list", info)];
                        return self.check_rejection(
                            c,
                            call,
                            &alone,
                            e,
                            INVALID,
                            Some("gla_entry_or_list"),
                        );
                    }
                };
                self.model().set_interrupt_pending(u32::from(interrupts));
                if !self.completes_at(c, &fields) {
                    self.model().set_interrupt_pending(0);
                    return Ok(self.not_run(c, super::NO_COMPLETION));
                }
                let before = self.model().invgla_pages();
                let gl = core::hint::black_box(gl);
                let w = &self.wrappers;
                // The caller's copy of the list info is read right after the call, where the
                // compiler, told RDX holds it unchanged, would take it from RDX.
                let ((got, live), lost) = under_canaries(seed, || {
                    let r = w.invgla_list(v, gl);
                    (r, gl.raw())
                });
                self.model().set_interrupt_pending(0);
                let rec = self.checked_record(c, call, &fields, lost)?;
                // The module rewrites RDX with its progress: the caller's copy must still hold
                // what was passed, as `info` (kept in memory by `fields`) does.
                if live != info {
                    return Err(self.fail(
                        Verdict::Clobbers,
                        c.name,
                        call,
                        format!(
                            "the caller's copy of the list info changed across the call ({live:#x}, \
                             was {info:#x}): RDX, which the module rewrites, is declared input-only"
                        ),
                    ));
                }
                self.decoding(c, call, &rec, &got, &expect::status(&rec.output))?;
                let done = self.model().invgla_pages() - before;
                let ok = got.is_err() || done == u64::from(count);
                self.semantics(c, call, &rec, ok, || {
                    format!("INVGLA (list) returned {got:?} after invalidating {done} of {count} entries")
                })?;
                let outcome = self.outcome(c, &rec);
                if got.is_ok() {
                    self.invgla_list_twice(c, call, seed, v, gl, info)?;
                }
                Ok(outcome)
            }
            _ => unreachable!("run_leaf15 is only given TDX 1.5 leaf calls"),
        }
    }

    /// Two list-mode calls in a row with the same list: each must start from the caller's list
    /// info. The module leaves its progress in RDX; a wrapper declaring RDX input-only lets the
    /// compiler skip reloading RDX for the second call, which then passes that progress.
    fn invgla_list_twice(
        &mut self,
        c: &'static LeafContract,
        call: &Call,
        seed: u64,
        v: L2Vm,
        gl: GlaList,
        info: u64,
    ) -> Result<(), Failure> {
        self.session.clear_log();
        let w = &self.wrappers;
        let gl = core::hint::black_box(gl);
        let _ = under_canaries(seed, || {
            let first = w.invgla_list(v, gl);
            (first, w.invgla_list(v, gl))
        });
        let log = self.log().to_vec();
        let starts: Vec<u64> = log
            .iter()
            .enumerate()
            .filter(|(i, _)| *i == 0 || log[i - 1].kind == RecordKind::Completed)
            .map(|(_, r)| {
                c.input_field(&r.input, "gla_entry_or_list")
                    .expect("RDX field")
            })
            .collect();
        if starts.len() != 2 || starts.iter().any(|&rdx| rdx != info) {
            return Err(self.fail(
                Verdict::Clobbers,
                c.name,
                call,
                format!(
                    "two calls with list info {info:#x} started from RDX {starts:#x?}: RDX, which \
                     the module rewrites, is declared input-only"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod field_lists {
    use super::*;
    use tdx_model::ModuleVersion;

    /// Every SYS element a guest may read on some version, and every field a service TD may
    /// access but the big arrays, is within reach of a `Known` index.
    #[test]
    fn known_indexes_reach_every_readable_field() {
        let sys = sys_element_ids();
        for v in ModuleVersion::ALL {
            for e in sys_fields(v).iter().filter(|e| e.guest_rd_mask != 0) {
                let at = sys.iter().position(|&id| id == e.field_id);
                assert!(at.is_some_and(|i| i < 256), "{v} {}: {at:?}", e.name);
            }
            for e in tdx_model::metadata::td_fields(v) {
                if servtd_masks(v, e.name) == (0, 0) || e.num_elements() > 16 {
                    continue;
                }
                let reached = (0..=u8::MAX)
                    .filter(|i| i % 2 == 1)
                    .any(|i| servtd_field(FieldRef::Known(i)) == e.field_id);
                assert!(reached, "{v} {}", e.name);
            }
        }
    }
}
