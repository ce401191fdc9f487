/* SPDX-License-Identifier: Apache-2.0 */
/* The exec stub's machine code for x86-64 (execstub.h says what it is for).
   It is not run from here: execstub.c copies the bytes between
   hako_execstub_code and hako_execstub_code_end into a small ELF image, in
   a sealed memfd, followed by the parameter block of execstub_layout.h, and
   the container process execs that.  No libc, no stack use beyond the one
   the kernel gives, position-independent (the block is found RIP-relative).

   Registers: rbx -> the parameter block; rbp -> the initial stack (argc,
   argv..., 0, envp..., 0: the user process's own argv and envp, passed on
   as they are).  On failure: rax = -errno, r14 -> the {off, len} of the
   message prefix, r15 = the exit status (1, or 127 when the exec failed, as
   init.c does). */
#include "execstub_layout.h"

#if defined(__x86_64__)

#define SYS_write 1
#define SYS_close 3
#define SYS_execve 59
#define SYS_exit_group 231
#define SYS_openat 257
#define SYS_seccomp 317
#define AT_FDCWD (-100)
#define O_WRONLY_CLOEXEC 0x80001
#define SECCOMP_SET_MODE_FILTER 1

	.pushsection .rodata.hako_execstub, "a"
	.balign 16
	.globl hako_execstub_code
	.hidden hako_execstub_code
hako_execstub_code:
	mov	%rsp, %rbp
	lea	.Lstub_data(%rip), %rbx

	/* 1. Wait for `start`: opening the fifo for writing blocks until it
	   opens it for reading; then one byte, as init.c's wait_for_start. */
	lea	D_MSG_FIFO(%rbx), %r14
	mov	$1, %r15d
	mov	$SYS_openat, %eax
	mov	$AT_FDCWD, %rdi
	mov	D_FIFO_PATH(%rbx), %esi
	add	%rbx, %rsi
	mov	$O_WRONLY_CLOEXEC, %edx
	xor	%r10d, %r10d
	syscall
	test	%rax, %rax
	js	.Lfail
	mov	%rax, %r12
	mov	$SYS_write, %eax
	mov	%r12d, %edi
	lea	D_ZERO(%rbx), %rsi
	mov	$1, %edx
	syscall
	test	%rax, %rax
	js	.Lfail
	mov	$SYS_close, %eax
	mov	%r12d, %edi
	syscall
	mov	$SYS_close, %eax
	mov	D_FIFO_FD(%rbx), %edi
	syscall

	/* 2. The seccomp filter, when it must be the very last step. */
	testl	$F_SECCOMP, D_FLAGS(%rbx)
	jz	1f
	lea	D_MSG_SECCOMP(%rbx), %r14
	mov	$SYS_seccomp, %eax
	mov	$SECCOMP_SET_MODE_FILTER, %edi
	mov	D_SECCOMP_FLAGS(%rbx), %rsi
	lea	D_FPROG(%rbx), %rdx
	syscall
	test	%rax, %rax
	js	.Lfail

	/* 3. execve each candidate path in turn: args[0] itself, or each
	   entry of PATH (hako_execvpe_env's rules: ENOENT, ENOTDIR, ESTALE,
	   ENODEV, ETIMEDOUT, ELOOP, ENAMETOOLONG mean "not here", EACCES is
	   remembered, anything else is the answer). */
1:	lea	D_MSG_EXEC(%rbx), %r14
	mov	$127, %r15d
	xor	%r13d, %r13d
	mov	D_CANDIDATES(%rbx), %r12d
	add	%rbx, %r12
2:	mov	(%r12), %edi
	test	%edi, %edi
	jz	4f
	add	%rbx, %rdi
	lea	8(%rbp), %rsi
	mov	(%rbp), %rdx
	lea	16(%rbp,%rdx,8), %rdx
	mov	$SYS_execve, %eax
	syscall
	testl	$F_SEARCH, D_FLAGS(%rbx)
	jz	.Lfail
	cmp	$-13, %rax		/* EACCES */
	jne	3f
	mov	$1, %r13d
	jmp	5f
3:	cmp	$-2, %rax		/* ENOENT */
	je	5f
	cmp	$-20, %rax		/* ENOTDIR */
	je	5f
	cmp	$-116, %rax		/* ESTALE */
	je	5f
	cmp	$-19, %rax		/* ENODEV */
	je	5f
	cmp	$-110, %rax		/* ETIMEDOUT */
	je	5f
	cmp	$-40, %rax		/* ELOOP */
	je	5f
	cmp	$-36, %rax		/* ENAMETOOLONG */
	je	5f
	jmp	.Lfail
5:	add	$4, %r12
	jmp	2b
4:	mov	$-2, %rax		/* ENOENT, or EACCES if one said so */
	test	%r13d, %r13d
	jz	.Lfail
	mov	$-13, %rax

	/* The message prefix, the errno's text from the table, exit. */
.Lfail:
	neg	%rax
	mov	%rax, %r12
	mov	$SYS_write, %eax
	mov	$2, %edi
	mov	(%r14), %esi
	add	%rbx, %rsi
	mov	4(%r14), %edx
	syscall
	mov	D_ERRNOS(%rbx), %r13d
	add	%rbx, %r13
6:	mov	(%r13), %eax
	test	%eax, %eax
	jz	7f
	cmp	%r12d, %eax
	je	7f
	add	$12, %r13
	jmp	6b
7:	mov	$SYS_write, %eax
	mov	$2, %edi
	mov	4(%r13), %esi
	add	%rbx, %rsi
	mov	8(%r13), %edx
	syscall
	mov	$SYS_exit_group, %eax
	mov	%r15d, %edi
	syscall
	hlt

	.balign 8
.Lstub_data:
	.globl hako_execstub_code_end
	.hidden hako_execstub_code_end
hako_execstub_code_end:
	.popsection

#endif

	.section .note.GNU-stack, "", @progbits
