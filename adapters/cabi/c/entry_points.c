/*
 * The table of entry points the adapter calls through (src/lib.rs, `EntryPoints`). Every
 * entry point is a weak reference: one the implementation under test does not define is a
 * null pointer, and the calls that need it are reported as not provided instead of failing
 * to link. The implementation is linked whole (build.rs), so a weak reference finds every
 * symbol it defines, in an object or in an archive.
 */
#include "tdx_oracle_abi.h"

#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wredundant-decls"

u64 __tdcall(u64 fn, struct tdx_module_args *args) __attribute__((weak));
u64 __tdcall_ret(u64 fn, struct tdx_module_args *args) __attribute__((weak));
u64 __tdcall_saved_ret(u64 fn, struct tdx_module_args *args) __attribute__((weak));
u64 __tdx_hypercall(struct tdx_module_args *args) __attribute__((weak));
UINT64 EFIAPI TdCall(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3, VOID *Results)
	__attribute__((weak));
UINT64 EFIAPI TdVmCall(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3, UINT64 Arg4,
		       VOID *Results) __attribute__((weak));
UINT64 EFIAPI TdVmCallFfec(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3, UINT64 Arg4,
			   VOID *Results) __attribute__((weak));
UINT64 EFIAPI TdVmCallCpuid(UINT64 EaxIn, UINT64 EcxIn, VOID *Results) __attribute__((weak));
UINT64 EFIAPI TdVmCallCpuidFixed(UINT64 EaxIn, UINT64 EcxIn, VOID *Results)
	__attribute__((weak));

/* Field order is ABI: src/lib.rs `EntryPoints` mirrors it. */
struct tdx_oracle_entry_points {
	u64 (*tdcall)(u64, struct tdx_module_args *);
	u64 (*tdcall_ret)(u64, struct tdx_module_args *);
	u64 (*tdcall_saved_ret)(u64, struct tdx_module_args *);
	u64 (*tdx_hypercall)(struct tdx_module_args *);
	UINT64 (EFIAPI *td_call)(UINT64, UINT64, UINT64, UINT64, VOID *);
	UINT64 (EFIAPI *td_vm_call)(UINT64, UINT64, UINT64, UINT64, UINT64, VOID *);
	UINT64 (EFIAPI *td_vm_call_ffec)(UINT64, UINT64, UINT64, UINT64, UINT64, VOID *);
	UINT64 (EFIAPI *td_vm_call_cpuid)(UINT64, UINT64, VOID *);
	UINT64 (EFIAPI *td_vm_call_cpuid_fixed)(UINT64, UINT64, VOID *);
};

const struct tdx_oracle_entry_points tdx_oracle_entry_points = {
	__tdcall,
	__tdcall_ret,
	__tdcall_saved_ret,
	__tdx_hypercall,
	TdCall,
	TdVmCall,
	TdVmCallFfec,
	TdVmCallCpuid,
	TdVmCallCpuidFixed,
};
