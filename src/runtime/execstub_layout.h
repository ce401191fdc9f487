/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_EXECSTUB_LAYOUT_H
#define HAKO_RUNTIME_EXECSTUB_LAYOUT_H

/* The parameter block that follows the exec stub's code (execstub.c writes
   it, execstub_x86_64.S reads it): offsets from its start.  Strings and
   tables are referred to by 32-bit offsets from there too.  Plain numbers,
   as the assembler reads this file as well. */
#define D_FIFO_FD 0       /* u32: the O_PATH fd of exec.fifo */
#define D_FLAGS 4         /* u32: F_SECCOMP | F_SEARCH */
#define D_SECCOMP_FLAGS 8 /* u64: SECCOMP_FILTER_FLAG_* */
#define D_FPROG 16        /* struct sock_fprog (len, pad, absolute pointer) */
#define D_FIFO_PATH 32    /* u32: "/proc/self/fd/N" of the fifo */
#define D_CANDIDATES 36   /* u32: list of u32 offsets of paths to try, 0-terminated */
#define D_ERRNOS 40       /* u32: table of {u32 errno, u32 off, u32 len}, errno 0 ends it */
#define D_ZERO 44         /* the byte written to the fifo */
#define D_MSG_FIFO 48     /* {u32 off, u32 len}: message prefixes by step */
#define D_MSG_SECCOMP 56
#define D_MSG_EXEC 64
#define D_FIXED_END 72

#define F_SECCOMP 1
#define F_SEARCH 2 /* args[0] has no '/': ENOENT & co. mean "try the next PATH entry" */

#endif
