/* SPDX-License-Identifier: Apache-2.0 */
/* The exec stub (execstub.h): a static ELF executable made at run time from
   the machine code of execstub_x86_64.S and a block of parameters after it
   (execstub_layout.h), in a sealed memfd. */
#include "execstub.h"
#include "execstub_layout.h"
#include "seccomp.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#define STUB_VADDR 0x400000UL

#if defined(__x86_64__)
#define STUB_MACHINE EM_X86_64
/* The machine code: execstub_x86_64.S. */
extern const unsigned char hako_execstub_code[] __attribute__ ((visibility ("hidden")));
extern const unsigned char hako_execstub_code_end[] __attribute__ ((visibility ("hidden")));

bool
hako_execstub_supported (void)
{
  return true;
}
#else
bool
hako_execstub_supported (void)
{
  return false;
}
#endif

/* What an exec, the fifo or seccomp can fail with; strerror's text for
   each, made here because the stub has no libc. */
static const int stub_errnos[] = {
  EPERM, ENOENT,       EINTR,   EIO,    E2BIG,  ENOEXEC, EBADF,   ENOMEM,    EACCES, EFAULT,
  EBUSY, EISDIR,       ENOTDIR, EINVAL, ENFILE, EMFILE,  ETXTBSY, EPIPE,     ENXIO,  ENOSYS,
  ELOOP, ENAMETOOLONG, ESTALE,  ENODEV, EAGAIN, ELIBBAD, ELIBACC, ETIMEDOUT,
};

struct image
{
  char *buf;
  size_t len, cap, data; /* data: file offset of the parameter block */
};

static size_t
put (struct image *im, const void *p, size_t n, size_t align)
{
  size_t off = (im->len + align - 1) & ~(align - 1);
  if (off + n > im->cap)
    {
      im->cap = (off + n) * 2;
      im->buf = xrealloc (im->buf, im->cap);
    }
  memset (im->buf + im->len, 0, off - im->len);
  memcpy (im->buf + off, p, n);
  im->len = off + n;
  return off - im->data;
}

static void
set_u32 (struct image *im, size_t at, uint32_t v)
{
  memcpy (im->buf + im->data + at, &v, sizeof (v));
}

static uint32_t
put_str (struct image *im, const char *s)
{
  return (uint32_t) put (im, s, strlen (s) + 1, 1);
}

static void
put_msg (struct image *im, size_t slot, const char *s)
{
  set_u32 (im, slot, (uint32_t) put (im, s, strlen (s), 1));
  set_u32 (im, slot + 4, (uint32_t) strlen (s));
}

/* The paths to try for `file`, as hako_execvpe_env would (procattr.c). */
static size_t
put_candidates (struct image *im, const char *file, const char *path, bool *search)
{
  size_t flen = strlen (file), n = 0;
  uint32_t *offs = NULL;
  char buf[PATH_MAX];

  *search = strchr (file, '/') == NULL && flen > 0;
  if (!*search)
    {
      offs = xzalloc (2 * sizeof (*offs));
      offs[n++] = put_str (im, file);
    }
  else
    {
      if (path == NULL)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
      for (const char *dir = path, *end;; dir = end + 1)
        {
          size_t dlen;
          end = strchrnul (dir, ':');
          dlen = (size_t) (end - dir);
          if (dlen == 0)
            dir = ".", dlen = 1;
          if (dlen + 1 + flen < sizeof (buf))
            {
              memcpy (buf, dir, dlen);
              buf[dlen] = '/';
              memcpy (buf + dlen + 1, file, flen + 1);
              offs = xrealloc (offs, (n + 2) * sizeof (*offs));
              offs[n++] = put_str (im, buf);
            }
          if (*end == '\0')
            break;
        }
      if (offs == NULL)
        offs = xzalloc (sizeof (*offs));
    }
  offs[n] = 0;
  size_t at = put (im, offs, (n + 1) * sizeof (*offs), 4);
  free (offs);
  return at;
}

#if defined(__x86_64__)
static void
build (struct image *im, const struct hako_execstub *s)
{
  size_t code_len = (size_t) (hako_execstub_code_end - hako_execstub_code);
  size_t hdr = sizeof (Elf64_Ehdr) + 2 * sizeof (Elf64_Phdr);
  char fixed[D_FIXED_END] = { 0 };
  char fdpath[HAKO_FD_PATH_MAX];
  cleanup_free char *exec_msg = NULL;
  const void *insns = NULL;
  unsigned short n_insns = 0;
  unsigned long sflags = 0;
  uint32_t flags = 0;
  bool search;

  im->len = hdr;
  im->cap = 4096;
  im->buf = xzalloc (im->cap);
  put (im, hako_execstub_code, code_len, 16);
  im->data = im->len; /* code_len keeps it 8-aligned */
  put (im, fixed, sizeof (fixed), 8);

  set_u32 (im, D_FIFO_FD, (uint32_t) s->fifo_fd);
  set_u32 (im, D_FIFO_PATH, put_str (im, hako_fd_path (s->fifo_fd, fdpath)));
  im->buf[im->data + D_ZERO] = '0';
  if (s->seccomp && hako_seccomp_prog_bpf (s->seccomp, &insns, &n_insns, &sflags))
    {
      uint64_t f = sflags, ptr;
      uint16_t len = n_insns;
      size_t at = put (im, insns, (size_t) n_insns * 8, 8);
      ptr = STUB_VADDR + im->data + at;
      memcpy (im->buf + im->data + D_SECCOMP_FLAGS, &f, 8);
      memcpy (im->buf + im->data + D_FPROG, &len, 2);
      memcpy (im->buf + im->data + D_FPROG + 8, &ptr, 8);
      flags |= (uint32_t) F_SECCOMP;
    }
  set_u32 (im, D_CANDIDATES, (uint32_t) put_candidates (im, s->file, s->path, &search));
  if (search)
    flags |= (uint32_t) F_SEARCH;
  set_u32 (im, D_FLAGS, flags);

  /* The same words as init.c's errors after `start`. */
  exec_msg = xasprintf ("hako-runtime: exec `%s`: ", s->file);
  put_msg (im, D_MSG_FIFO, "hako-runtime: open exec fifo: ");
  put_msg (im, D_MSG_SECCOMP, "hako-runtime: load the seccomp filter: ");
  put_msg (im, D_MSG_EXEC, exec_msg);
  size_t n_err = sizeof (stub_errnos) / sizeof (stub_errnos[0]);
  uint32_t *tab = xzalloc ((n_err + 1) * 3 * sizeof (uint32_t));
  for (size_t i = 0; i <= n_err; i++)
    {
      char line[128];
      snprintf (line, sizeof (line), "%s\n", i < n_err ? strerror (stub_errnos[i]) : "unknown error");
      tab[3 * i] = i < n_err ? (uint32_t) stub_errnos[i] : 0;
      tab[3 * i + 1] = (uint32_t) put (im, line, strlen (line), 1);
      tab[3 * i + 2] = (uint32_t) strlen (line);
    }
  set_u32 (im, D_ERRNOS, (uint32_t) put (im, tab, (n_err + 1) * 3 * sizeof (uint32_t), 4));
  free (tab);

  /* One read-execute segment holding everything, at a fixed address (the
     seccomp program is referred to by its absolute address); a
     non-executable stack. */
  Elf64_Ehdr eh = {
    .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV },
    .e_type = ET_EXEC,
    .e_machine = STUB_MACHINE,
    .e_version = EV_CURRENT,
    .e_entry = STUB_VADDR + hdr,
    .e_phoff = sizeof (Elf64_Ehdr),
    .e_ehsize = sizeof (Elf64_Ehdr),
    .e_phentsize = sizeof (Elf64_Phdr),
    .e_phnum = 2,
  };
  Elf64_Phdr ph[2] = {
    { .p_type = PT_LOAD,
      .p_flags = PF_R | PF_X,
      .p_offset = 0,
      .p_vaddr = STUB_VADDR,
      .p_paddr = STUB_VADDR,
      .p_filesz = im->len,
      .p_memsz = im->len,
      .p_align = 0x1000 },
    { .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W, .p_align = 16 },
  };
  memcpy (im->buf, &eh, sizeof (eh));
  memcpy (im->buf + sizeof (eh), ph, sizeof (ph));
}
#endif

int
hako_execstub_create (const struct hako_execstub *s, struct hako_err **err)
{
#if defined(__x86_64__)
  struct image im = { 0 };
  cleanup_close int fd = -1;

  build (&im, s);
  fd = memfd_create ("hako-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("hako-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    {
      free (im.buf);
      return hako_error (err, errno, "memfd for the exec stub");
    }
  int r = hako_write_all (fd, im.buf, im.len);
  free (im.buf);
  if (r < 0)
    return hako_error (err, errno, "write the exec stub");
  fcntl (fd, F_ADD_SEALS, F_SEAL_EXEC);
  if (fcntl (fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return hako_error (err, errno, "seal the exec stub");
  return steal_fd (&fd);
#else
  (void) s;
  return hako_error (err, ENOTSUP, "no exec stub for this architecture");
#endif
}

int
hako_execstub_exec (int fd, char *const argv[], char *const envp[], bool via_proc)
{
  char path[HAKO_FD_PATH_MAX];

  if (via_proc)
    return execve (hako_fd_path (fd, path), argv, envp);
  /* The fd is close-on-exec: fine for an ELF, mapped before it goes. */
  return (int) syscall (SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
}
