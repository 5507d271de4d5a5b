/*
 * tdx_oracle_abi.h — the entry points a C or assembly implementation of the TDX guest-side
 * TDCALL seam provides so that the tdx-trap oracle can link and check it
 * (adapters/cabi, crate tdx-adapter-cabi).
 *
 * Two families, mirroring the two styles in the field:
 *
 *   1. Linux style (arch/x86/coco/tdx/tdcall.S + arch/x86/virt/vmx/tdx/tdxcall.S, the
 *      TDX_MODULE_CALL macro since v6.6; arch/x86/coco/tdx/tdx-shared.c): one register struct,
 *      System V AMD64 calling convention.
 *   2. EDK2 style (MdePkg/Include/Library/BaseLib.h, MdePkg/Library/BaseLib/X64/TdCall.nasm and
 *      TdVmcall.nasm): scalar arguments and a results pointer, EFIAPI (= the Microsoft x64
 *      calling convention on X64).
 *
 * How the oracle sees these functions: they are real calls (no inlining across the C ABI), so
 * its register-pressure clobber check sees exactly what the calling convention guarantees. An
 * entry point must therefore restore every callee-saved register of its convention
 * (System V: RBX, RBP, RSP, R12–R15; Microsoft x64: additionally RSI, RDI, XMM6–XMM15),
 * whatever the TDX module or the VMM wrote into it; the caller-saved ones may be left holding
 * anything, including VMM-controlled values.
 *
 * The TDCALL instruction is the 4 bytes 66 0F 01 CC (GCC/GAS: .byte 0x66,0x0f,0x01,0xcc;
 * NASM: db 0x66,0x0f,0x01,0xcc). Under the trap backend it faults and a signal handler answers
 * from the model; the implementation must not depend on anything but the registers.
 *
 * Register rules of the TDX module the implementations rely on (TDX module 1.5 ABI; fact sheet
 * /work/shared/reference/tdx-abi.md §3, §4):
 *   - a leaf other than TDG.VP.VMCALL reads RAX (leaf and version) and its input registers
 *     among RCX, RDX, R8–R15; it writes RAX and may change only the registers its contract
 *     lists (at most RCX, RDX, R8–R11 for the leaves below; TDG.VP.ENTER changes almost all);
 *   - TDG.VP.VMCALL (RAX = 0): RCX[15:0] (GPR_SELECT) selects the registers the VMM sees and
 *     may change; RCX[31:16] (XMM_SELECT) likewise for XMM0–15; RAX, RCX, RSP must not be
 *     selected, nor RBP when the TD's CONFIG_FLAGS.NO_RBP_MOD is set (the module then answers
 *     RAX = 0xC000010000000001 without a TD exit). Every selected register comes back holding
 *     whatever the VMM left there; unselected ones are preserved.
 */
#ifndef TDX_ORACLE_ABI_H
#define TDX_ORACLE_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * 1. Linux style
 * ------------------------------------------------------------------------------------------ */

typedef uint64_t u64;

/* TDCALL leaf numbers (arch/x86/include/asm/shared/tdx.h). */
#define TDG_VP_VMCALL        0
#define TDG_VP_INFO          1
#define TDG_MEM_PAGE_ACCEPT  6
#define TDG_VM_RD            7

/* GHCI: R10 = 0 is a standard TDVMCALL. */
#define TDX_HYPERCALL_STANDARD 0

/*
 * Registers exposed to the VMM by __tdx_hypercall(): RDX, RBX, RSI, RDI, R8–R15 = 0xFFCC
 * (arch/x86/coco/tdx/tdcall.S; 0xFC00 before 752d13305c78, v6.3). No XMM register, no RBP.
 */
#define TDVMCALL_EXPOSE_REGS_MASK 0xFFCC

/*
 * The register file as software sees it (arch/x86/include/asm/shared/tdx.h). Field order is
 * ABI: the assembly addresses the fields by offset (rcx at 0, ..., rsi at 96).
 */
struct tdx_module_args {
	u64 rcx;
	u64 rdx;
	u64 r8;
	u64 r9;
	u64 r10;
	u64 r11;
	u64 r12;
	u64 r13;
	u64 r14;
	u64 r15;
	u64 rbx;
	u64 rdi;
	u64 rsi;
};

/*
 * __tdcall — TDCALL leaf `fn` with the register-only leaves' inputs.
 *   Loads:     RAX = fn; RCX, RDX, R8, R9, R10, R11 from *args.
 *   Clobbers:  RCX, RDX, R8–R11 (caller-saved in System V; the module's outputs are dropped).
 *   Preserves: RBX, RBP, R12–R15 (never loaded, never selected).
 *   Returns:   RAX (the TDX status, all 64 bits). *args is not written.
 */
u64 __tdcall(u64 fn, struct tdx_module_args *args);

/*
 * __tdcall_ret — as __tdcall, then stores RCX, RDX, R8–R11 back into *args (also when
 * RAX != 0: several leaves write default outputs on failure).
 */
u64 __tdcall_ret(u64 fn, struct tdx_module_args *args);

/*
 * __tdcall_saved_ret — all thirteen registers of the struct, for TDG.VP.VMCALL (and
 * TDG.VP.ENTER).
 *   Loads:     RAX = fn; RCX, RDX, R8–R15, RBX, RDI, RSI from *args (RCX is the caller's
 *              GPR_SELECT when fn = TDG_VP_VMCALL).
 *   Stores:    all thirteen back into *args after the TDCALL, whatever RAX says.
 *   Clears:    RCX, RDX, R8–R15, RBX, RDI, RSI before returning (no VMM-controlled value
 *              survives in a register; RBX and R12–R15 are then restored as callee-saved).
 *   Preserves: RBX, RBP, R12–R15 (System V callee-saved). RBP is never loaded.
 *   Returns:   RAX.
 */
u64 __tdcall_saved_ret(u64 fn, struct tdx_module_args *args);

/*
 * __tdx_hypercall — a TDG.VP.VMCALL the Linux way (tdx-shared.c):
 *   args->rcx = TDVMCALL_EXPOSE_REGS_MASK (0xFFCC, whatever the sub-function);
 *   if (__tdcall_saved_ret(TDG_VP_VMCALL, args)) __tdx_hypercall_failed();  -- panics
 *   return args->r10;                                  -- the GHCI status
 * The caller fills R10 (0 = standard), R11 (sub-function) and the inputs; every other exposed
 * register is loaded from the struct too, so a designated initializer that zeroes the unused
 * fields is what keeps guest data away from the VMM. Outputs are in *args afterwards.
 * A non-zero RAX (the module refused the TDVMCALL) never returns.
 */
u64 __tdx_hypercall(struct tdx_module_args *args);

/* ------------------------------------------------------------------------------------------
 * 2. EDK2 style (all EFIAPI)
 * ------------------------------------------------------------------------------------------ */

#ifndef EFIAPI
#define EFIAPI __attribute__((ms_abi))
#endif

typedef uint64_t UINT64;
typedef void VOID;

/* MdePkg/Include/IndustryStandard/Tdx.h */
#define TDCALL_TDINFO        1
#define TDCALL_TDACCEPTPAGE  6
#define TDVMCALL_CPUID       0x0000a
#define TDVMCALL_HALT        0x0000c
#define TDVMCALL_RDMSR       0x0001f
#define TDVMCALL_WRMSR       0x00020
#define TDVMCALL_MAPGPA      0x10001

/*
 * TdCall — any register-only TDCALL leaf (BaseLib.h declares the return as UINTN, 64 bits on
 * X64).
 *   Loads:     RAX = Leaf, RCX = Arg1, RDX = Arg2, R8 = Arg3; R9 also holds Arg3 (the original
 *              moves R9 to R8 and leaves R9 alone); R10, R11 are whatever the caller left.
 *   Results:   if RAX == 0 and Results != NULL: Results[0..6] = RCX, RDX, R8, R9, R10, R11
 *              (six UINT64). Nothing is written on failure: default outputs are lost.
 *   Clobbers:  RCX, RDX, R8–R11 (volatile in the Microsoft x64 convention).
 *   Preserves: RBX, RBP, RSI, RDI, R12–R15 (pushed and popped by the original).
 *   Returns:   RAX.
 */
UINT64 EFIAPI TdCall(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3, VOID *Results);

/*
 * TdVmCall — a standard TDG.VP.VMCALL (current EDK2, TdVmcall.nasm since 07c49d5d40,
 * 2024-02-27).
 *   Loads:     RAX = 0; RCX = 0xFFCC; R10 = 0; R11 = Leaf; R12–R15 = Arg1–Arg4;
 *              RBX, RSI, RDI, RDX, RBP, R8, R9 = 0 ("to avoid leaking secrets to the VMM").
 *   Results:   if RAX == 0 and Results != NULL: *(UINT64 *)Results = R11, whatever R10 says
 *              (since 68e37f4578, 2023-11-08, for MapGPA's RETRY address).
 *   Clears:    RBX, RSI, RDI, RCX, RDX, R8–R11 after the call.
 *   Preserves: RBX, RBP, RSI, RDI, R12–R15 (pushed and popped).
 *   Returns:   RAX if it is not 0 (the module refused the call), else R10 (the GHCI status):
 *              one value for two status spaces.
 */
UINT64 EFIAPI TdVmCall(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3, UINT64 Arg4,
		       VOID *Results);

/*
 * TdVmCallFfec — TdVmCall as EDK2 shipped it from 818bc9596d (2021-11-10) to 07c49d5d40
 * (2024-02-27): RCX = 0xFFEC (RBP selected as well) and Results written only when R10 == 0
 * (before 68e37f4578). Provided to show what the oracle says about that version.
 */
UINT64 EFIAPI TdVmCallFfec(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3, UINT64 Arg4,
			   VOID *Results);

/*
 * TdVmCallCpuid — OvmfPkg/Library/CcExitLib/X64/TdVmcallCpuid.nasm's stack layout (c/edk2_cpuid.S):
 * Instruction.CPUID, Results = four UINT64 (EAX..EDX) written on success. Returns to a wrong
 * address when the module or the VMM reports an error (docs/findings/edk2-tdvmcallcpuid-stack.md).
 */
UINT64 EFIAPI TdVmCallCpuid(UINT64 EaxIn, UINT64 EcxIn, VOID *Results);

#ifdef __cplusplus
}
#endif

#endif /* TDX_ORACLE_ABI_H */
