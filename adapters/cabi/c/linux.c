/*
 * Linux-style TDCALL entry points (see include/tdx_oracle_abi.h), written after
 * arch/x86/virt/vmx/tdx/tdxcall.S (TDX_MODULE_CALL host=0 [ret=1] [saved=1]) and
 * arch/x86/coco/tdx/tdx-shared.c (__tdx_hypercall), in C with GCC inline asm.
 *
 * Built with -mno-red-zone, as the kernel is.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tdx_oracle_abi.h"

#define TDCALL ".byte 0x66,0x0f,0x01,0xcc"

/* TDX_MODULE_CALL host=0: RAX = fn, RCX, RDX, R8–R11 from the struct; RAX returned. */
u64 __tdcall(u64 fn, struct tdx_module_args *args)
{
	register u64 r8 __asm__("r8") = args->r8;
	register u64 r9 __asm__("r9") = args->r9;
	register u64 r10 __asm__("r10") = args->r10;
	register u64 r11 __asm__("r11") = args->r11;
	u64 rax = fn, rcx = args->rcx, rdx = args->rdx;

	/* The leaf may write memory (ACCEPT zeroes a page, REPORT fills a buffer): "memory". */
	__asm__ volatile(TDCALL
			 : "+a"(rax), "+c"(rcx), "+d"(rdx), "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r11)
			 :
			 : "memory", "cc");
	return rax;
}

/* TDX_MODULE_CALL host=0 ret=1: as __tdcall, then RCX, RDX, R8–R11 back into the struct. */
u64 __tdcall_ret(u64 fn, struct tdx_module_args *args)
{
	register u64 r8 __asm__("r8") = args->r8;
	register u64 r9 __asm__("r9") = args->r9;
	register u64 r10 __asm__("r10") = args->r10;
	register u64 r11 __asm__("r11") = args->r11;
	u64 rax = fn, rcx = args->rcx, rdx = args->rdx;

	__asm__ volatile(TDCALL
			 : "+a"(rax), "+c"(rcx), "+d"(rdx), "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r11)
			 :
			 : "memory", "cc");
	args->rcx = rcx;
	args->rdx = rdx;
	args->r8 = r8;
	args->r9 = r9;
	args->r10 = r10;
	args->r11 = r11;
	return rax;
}

/*
 * TDX_MODULE_CALL host=0 ret=1 saved=1: all thirteen registers in and out, then every
 * register the VMM could have written is cleared. One asm statement, since every GPR but
 * RAX, RBP and RSP carries an argument: the struct pointer and the status wait in memory
 * operands (RSP/RBP-relative: no other register is free to address them).
 */
u64 __tdcall_saved_ret(u64 fn, struct tdx_module_args *args)
{
	u64 rax, status;

	__asm__ volatile(
		"movq %[args], %%rax\n\t"
		"movq 0(%%rax), %%rcx\n\t"
		"movq 8(%%rax), %%rdx\n\t"
		"movq 16(%%rax), %%r8\n\t"
		"movq 24(%%rax), %%r9\n\t"
		"movq 32(%%rax), %%r10\n\t"
		"movq 40(%%rax), %%r11\n\t"
		"movq 48(%%rax), %%r12\n\t"
		"movq 56(%%rax), %%r13\n\t"
		"movq 64(%%rax), %%r14\n\t"
		"movq 72(%%rax), %%r15\n\t"
		"movq 80(%%rax), %%rbx\n\t"
		"movq 88(%%rax), %%rdi\n\t"
		"movq 96(%%rax), %%rsi\n\t"
		"movq %[fn], %%rax\n\t"
		TDCALL "\n\t"
		"movq %%rax, %[status]\n\t"
		"movq %[args], %%rax\n\t"
		"movq %%rcx, 0(%%rax)\n\t"
		"movq %%rdx, 8(%%rax)\n\t"
		"movq %%r8, 16(%%rax)\n\t"
		"movq %%r9, 24(%%rax)\n\t"
		"movq %%r10, 32(%%rax)\n\t"
		"movq %%r11, 40(%%rax)\n\t"
		"movq %%r12, 48(%%rax)\n\t"
		"movq %%r13, 56(%%rax)\n\t"
		"movq %%r14, 64(%%rax)\n\t"
		"movq %%r15, 72(%%rax)\n\t"
		"movq %%rbx, 80(%%rax)\n\t"
		"movq %%rdi, 88(%%rax)\n\t"
		"movq %%rsi, 96(%%rax)\n\t"
		"movq %[status], %%rax\n\t"
		/* Zero out the registers exposed to the VMM (tdxcall.S: "to avoid speculative
		 * execution with VMM-controlled values"). */
		"xorl %%ecx, %%ecx\n\t"
		"xorl %%edx, %%edx\n\t"
		"xorl %%r8d, %%r8d\n\t"
		"xorl %%r9d, %%r9d\n\t"
		"xorl %%r10d, %%r10d\n\t"
		"xorl %%r11d, %%r11d\n\t"
		"xorl %%r12d, %%r12d\n\t"
		"xorl %%r13d, %%r13d\n\t"
		"xorl %%r14d, %%r14d\n\t"
		"xorl %%r15d, %%r15d\n\t"
		"xorl %%ebx, %%ebx\n\t"
		"xorl %%edi, %%edi\n\t"
		"xorl %%esi, %%esi"
		: "=&a"(rax), [status] "=m"(status)
		: [args] "m"(args), [fn] "m"(fn)
		: "rcx", "rdx", "rsi", "rdi", "rbx", "r8", "r9", "r10", "r11", "r12", "r13",
		  "r14", "r15", "memory", "cc");
	return rax;
}

/* arch/x86/coco/tdx/tdx-shared.c: panic("TDVMCALL failed. TDX module bug?"). */
static void __attribute__((noreturn, cold)) __tdx_hypercall_failed(void)
{
	fputs("TDVMCALL failed. TDX module bug?\n", stderr);
	abort();
}

u64 __tdx_hypercall(struct tdx_module_args *args)
{
	args->rcx = TDVMCALL_EXPOSE_REGS_MASK;

	if (__tdcall_saved_ret(TDG_VP_VMCALL, args))
		__tdx_hypercall_failed();

	/* TDVMCALL leaf return code is in R10 */
	return args->r10;
}
