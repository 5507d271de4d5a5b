/*
 * TdVmCallCpuid as OvmfPkg/Library/CcExitLib/X64/TdVmcallCpuid.nasm (tianocore/edk2) lays out
 * its stack, in GNU as (Intel syntax): EFIAPI, RCX = EAX in, RDX = ECX in, R8 = Results.
 *
 * The Results pointer is pushed after the callee-saved registers and popped only on the
 * success path: when the module (RAX) or the VMM (R10) reports an error, the eight pops of the
 * epilogue start one slot early and `ret` takes the caller's RBP as its return address.
 * docs/findings/edk2-tdvmcallcpuid-stack.md; adapters/cabi/tests/findings.rs runs it.
 */
	.intel_syntax noprefix
	.text

	.macro tdvmcall_cpuid fixed
	/* tdcall_push_regs */
	push	rbp
	mov	rbp, rsp
	push	r15
	push	r14
	push	r13
	push	r12
	push	rbx
	push	rsi
	push	rdi

	mov	r11, 0xa		/* EXIT_REASON_CPUID */
	mov	r12, rcx
	mov	r13, rdx
	push	r8			/* Results */

	/* tdcall_regs_preamble TDVMCALL, 0xffcc */
	mov	rax, 0
	xor	rcx, rcx
	mov	ecx, 0xffcc
	xor	r10d, r10d
	xor	ebx, ebx
	xor	esi, esi
	xor	edi, edi
	xor	edx, edx
	xor	ebp, ebp
	xor	r8d, r8d
	xor	r9d, r9d
	xor	r14, r14
	xor	r15, r15

	.byte	0x66, 0x0f, 0x01, 0xcc	/* TDCALL */
	.if \fixed
	pop	r8			/* every path */
	.endif

	test	rax, rax
	jnz	1f
	mov	rax, r10
	test	rax, rax
	jnz	1f
	.if !\fixed
	pop	r8			/* only here */
	.endif
	test	r8, r8
	jz	1f
	mov	[r8 + 0], r12
	mov	[r8 + 8], r13
	mov	[r8 + 16], r14
	mov	[r8 + 24], r15

1:
	/* tdcall_regs_postamble */
	xor	ebx, ebx
	xor	esi, esi
	xor	edi, edi
	xor	ecx, ecx
	xor	edx, edx
	xor	r8d, r8d
	xor	r9d, r9d
	xor	r10d, r10d
	xor	r11d, r11d

	/* tdcall_pop_regs */
	pop	rdi
	pop	rsi
	pop	rbx
	pop	r12
	pop	r13
	pop	r14
	pop	r15
	pop	rbp
	ret
	.endm

	.globl	TdVmCallCpuid
	.type	TdVmCallCpuid, @function
TdVmCallCpuid:
	tdvmcall_cpuid 0
	.size	TdVmCallCpuid, .-TdVmCallCpuid

/* The same with Results popped on every path: the control for the test. */
	.globl	TdVmCallCpuidFixed
	.type	TdVmCallCpuidFixed, @function
TdVmCallCpuidFixed:
	tdvmcall_cpuid 1
	.size	TdVmCallCpuidFixed, .-TdVmCallCpuidFixed

	.section .note.GNU-stack, "", @progbits
