/* SPDX-License-Identifier: Apache-2.0 */
/* Messages on the SOCK_SEQPACKET socketpair between the runtime and the
   container process: fixed-size records, one per packet, with an optional
   fd (the pty master) passed by SCM_RIGHTS. */
#include "internal.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
send_msg (int fd, const struct sync_msg *m, int passed_fd)
{
  struct iovec iov = { .iov_base = (void *) m, .iov_len = sizeof (*m) };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

  if (passed_fd >= 0)
    {
      memset (&u, 0, sizeof (u));
      msg.msg_control = u.buf;
      msg.msg_controllen = sizeof (u.buf);
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &passed_fd, sizeof (int));
    }
  ssize_t r;
  do
    r = sendmsg (fd, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r == (ssize_t) sizeof (*m) ? 0 : -1;
}

int
sync_send (int fd, enum sync_type type, int32_t pid, const struct hako_err *e)
{
  static struct sync_msg m; /* 4 KiB: keep it off the child's small stack */
  memset (&m, 0, sizeof (m));
  m.type = type;
  m.pid = pid;
  if (e)
    hako_error_to_wire (e, &m.err);
  return send_msg (fd, &m, -1);
}

int
sync_send_fd (int fd, enum sync_type type, int passed_fd)
{
  struct sync_msg m = { .type = type };
  return send_msg (fd, &m, passed_fd);
}

int
sync_recv (int fd, struct sync_msg *m, int *passed_fd, struct hako_err **err)
{
  struct iovec iov = { .iov_base = m, .iov_len = sizeof (*m) };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  ssize_t r;

  if (passed_fd)
    *passed_fd = -1;
  do
    r = recvmsg (fd, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return hako_error (err, errno, "read from the sync socket");
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int got;
        memcpy (&got, CMSG_DATA (c), sizeof (int));
        if (passed_fd)
          *passed_fd = got;
        else
          close (got);
      }
  if (r == 0)
    return hako_error (err, 0, "the container process exited before it was ready");
  if (r != (ssize_t) sizeof (*m))
    return hako_error (err, EPROTO, "short message on the sync socket");
  if (m->type == SYNC_ERROR)
    return hako_error_from_wire (err, &m->err);
  return 0;
}

int
sync_expect (int fd, enum sync_type type, struct sync_msg *m, struct hako_err **err)
{
  if (sync_recv (fd, m, NULL, err) < 0)
    return -1;
  if (m->type != type)
    return hako_error (err, EPROTO, "unexpected message %u on the sync socket (wanted %u)", m->type, type);
  return 0;
}

int
sync_wait_eof (int fd, struct hako_err **err)
{
  struct sync_msg m;
  ssize_t r;

  do
    r = recv (fd, &m, sizeof (m), 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return hako_error (err, errno, "read from the sync socket");
  if (r == 0)
    return 0;
  if (r == (ssize_t) sizeof (m) && m.type == SYNC_ERROR)
    return hako_error_from_wire (err, &m.err);
  return hako_error (err, EPROTO, "unexpected message on the sync socket after READY");
}
