; Two of the Linux-style entry points of adapters/cabi/include/tdx_oracle_abi.h, __tdcall and
; __tdcall_ret, in NASM (System V AMD64): an example of an implementation checked from outside
; the repository with `tdx-check c` (README, "Bring your own wrappers"). The other entry points
; are not defined, so the calls that need them are reported as not provided.
;
; Assemble with -DPLANT_BUG for a wrong one: __tdcall_ret does not store R10 back, which the
; oracle reports as a decoding failure of TDG.VP.INFO (CI checks it does).

DEFAULT REL
SECTION .text

%macro tdcall 0
    db 0x66, 0x0f, 0x01, 0xcc
%endmacro

; struct tdx_module_args: rcx at 0, rdx 8, r8 16, r9 24, r10 32, r11 40.
%macro load_args 0
    mov rax, rdi
    mov rcx, [rsi + 0]
    mov rdx, [rsi + 8]
    mov r8,  [rsi + 16]
    mov r9,  [rsi + 24]
    mov r10, [rsi + 32]
    mov r11, [rsi + 40]
%endmacro

; u64 __tdcall(u64 fn, struct tdx_module_args *args): RDI = fn, RSI = args. The leaves called
; this way change only RAX, RCX, RDX and R8-R11, all caller-saved.
global __tdcall
__tdcall:
    load_args
    tdcall
    ret

; u64 __tdcall_ret(u64 fn, struct tdx_module_args *args): as __tdcall, then the six output
; registers back into *args, whatever RAX says. RSI is not an output of these leaves.
global __tdcall_ret
__tdcall_ret:
    load_args
    tdcall
    mov [rsi + 0],  rcx
    mov [rsi + 8],  rdx
    mov [rsi + 16], r8
    mov [rsi + 24], r9
%ifndef PLANT_BUG
    mov [rsi + 32], r10
%endif
    mov [rsi + 40], r11
    ret

SECTION .note.GNU-stack noalloc noexec nowrite progbits
