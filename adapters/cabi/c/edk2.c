/*
 * EDK2-style TDCALL entry points (see include/tdx_oracle_abi.h), written after
 * MdePkg/Library/BaseLib/X64/TdCall.nasm and TdVmcall.nasm (tianocore/edk2), in C with GCC
 * inline asm, EFIAPI (Microsoft x64 convention: RBX, RBP, RSI, RDI, R12–R15 callee-saved, which
 * the compiler saves and restores here where the originals push and pop them).
 *
 * Built with -mno-red-zone, as EDK2 is: TdVmCall pushes RBP inside its asm to zero it.
 */
#include "tdx_oracle_abi.h"

#define TDCALL ".byte 0x66,0x0f,0x01,0xcc"

UINT64 EFIAPI TdCall(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3, VOID *Results)
{
	/* mov rax, rcx; mov rcx, rdx; mov rdx, r8; mov r8, r9 — R9 keeps Arg3 as well. */
	register UINT64 r8 __asm__("r8") = Arg3;
	register UINT64 r9 __asm__("r9") = Arg3;
	register UINT64 r10 __asm__("r10");
	register UINT64 r11 __asm__("r11");
	UINT64 rax = Leaf, rcx = Arg1, rdx = Arg2;

	__asm__ volatile(TDCALL
			 : "+a"(rax), "+c"(rcx), "+d"(rdx), "+r"(r8), "+r"(r9), "=r"(r10), "=r"(r11)
			 :
			 : "memory", "cc");
	/* exit if tdcall reports failure; test if caller wanted results */
	if (rax == 0 && Results != 0) {
		UINT64 *r = (UINT64 *)Results;

		r[0] = rcx;
		r[1] = rdx;
		r[2] = r8;
		r[3] = r9;
		r[4] = r10;
		r[5] = r11;
	}
	return rax;
}

/*
 * The body of TdVmCall: tdcall_regs_preamble (RAX = 0, RCX = mask, R10 = 0, RBX, RSI, RDI,
 * RDX, RBP, R8, R9 zeroed), TDCALL, then RAX = R10 if RAX was 0, *Results = R11, and
 * tdcall_regs_postamble (RCX, RDX, R8–R11 cleared; RBX, RSI, RDI cleared then restored; R10
 * and R11 cleared after their values are used).
 */
static inline __attribute__((always_inline)) UINT64
td_vm_call(UINT64 mask, int r11_on_error, UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3,
	   UINT64 Arg4, VOID *Results)
{
	register UINT64 r10 __asm__("r10") = 0;
	register UINT64 r11 __asm__("r11") = Leaf;
	register UINT64 r12 __asm__("r12") = Arg1;
	register UINT64 r13 __asm__("r13") = Arg2;
	register UINT64 r14 __asm__("r14") = Arg3;
	register UINT64 r15 __asm__("r15") = Arg4;
	UINT64 rax = 0, rcx = mask;

	__asm__ volatile(
		"xorl %%ebx, %%ebx\n\t"
		"xorl %%esi, %%esi\n\t"
		"xorl %%edi, %%edi\n\t"
		"xorl %%edx, %%edx\n\t"
		"xorl %%r8d, %%r8d\n\t"
		"xorl %%r9d, %%r9d\n\t"
		"pushq %%rbp\n\t"
		"xorl %%ebp, %%ebp\n\t"
		TDCALL "\n\t"
		"popq %%rbp\n\t"
		"xorl %%ebx, %%ebx\n\t"
		"xorl %%esi, %%esi\n\t"
		"xorl %%edi, %%edi\n\t"
		"xorl %%edx, %%edx\n\t"
		"xorl %%r8d, %%r8d\n\t"
		"xorl %%r9d, %%r9d"
		: "+a"(rax), "+c"(rcx), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13), "+r"(r14),
		  "+r"(r15)
		:
		: "rbx", "rsi", "rdi", "rdx", "r8", "r9", "memory", "cc");
	/* ignore return data if TDCALL reports failure. */
	if (rax == 0) {
		/* Propagate TDVMCALL success/failure to return value. */
		rax = r10;
		if (Results != 0 && (r11_on_error || rax == 0))
			*(UINT64 *)Results = r11;
	}
	/* tdcall_regs_postamble clears R10 and R11 once their values are used. */
	__asm__ volatile("xorl %%r10d, %%r10d\n\txorl %%r11d, %%r11d" ::: "r10", "r11");
	return rax;
}

UINT64 EFIAPI TdVmCall(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3, UINT64 Arg4,
		       VOID *Results)
{
	return td_vm_call(0xffcc, 1, Leaf, Arg1, Arg2, Arg3, Arg4, Results);
}

UINT64 EFIAPI TdVmCallFfec(UINT64 Leaf, UINT64 Arg1, UINT64 Arg2, UINT64 Arg3, UINT64 Arg4,
			   VOID *Results)
{
	return td_vm_call(0xffec, 0, Leaf, Arg1, Arg2, Arg3, Arg4, Results);
}
