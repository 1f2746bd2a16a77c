/* SPDX-License-Identifier: MIT */
/*
 * The platform's root secret: the emulated fuses every EGETKEY/EREPORT key derives from.  It
 * lives in <state_dir>/root-secret, 32 random bytes created 0600 on first use, so sealing keys
 * survive restarts and differ between platforms (state directories).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

#define ROOT_SECRET_FILE "root-secret"

static int read_secret(int fd, const char *path, uint8_t secret[32], struct softsgx_err *err)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return softsgx_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (st.st_size != 32)
		return softsgx_fail(
		    err, -EINVAL,
		    "%s: %lld bytes, a root secret is exactly 32 (remove it to make "
		    "a new platform)",
		    path, (long long)st.st_size);
	if (st.st_mode & 077)
		return softsgx_fail(err, -EPERM,
				    "%s: mode %03o lets others read the platform's root secret; "
				    "chmod 600 it",
				    path, st.st_mode & 0777);
	n = pread(fd, secret, 32, 0);
	if (n != 32)
		return softsgx_fail(err, n < 0 ? -errno : -EIO, "%s: short read", path);
	return 0;
}

static int create_secret(const char *path, uint8_t secret[32], struct softsgx_err *err)
{
	char tmp[PATH_MAX + 16];
	int fd, ret = 0;

	if (getrandom(secret, 32, 0) != 32)
		return softsgx_fail(err, -EIO, "getrandom: %s", strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return softsgx_fail(err, -errno, "%s: %s", tmp, strerror(errno));
	if (write(fd, secret, 32) != 32 || fsync(fd) < 0)
		ret = softsgx_fail(err, -EIO, "%s: cannot write the root secret", tmp);
	close(fd);
	/* link() fails if another process created the file first: then use theirs. */
	if (!ret && link(tmp, path) < 0 && errno != EEXIST)
		ret = softsgx_fail(err, -errno, "%s: %s", path, strerror(errno));
	unlink(tmp);
	return ret;
}

int state_root_secret(const char *state_dir, uint8_t secret[32], struct softsgx_err *err)
{
	char path[PATH_MAX];
	int fd, ret;

	if (!state_dir[0])
		return softsgx_fail(err, -EINVAL, "no state_dir configured for the root secret");
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return softsgx_fail(err, -errno, "state_dir %s: %s", state_dir, strerror(errno));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, ROOT_SECRET_FILE) >=
	    sizeof(path))
		return softsgx_fail(err, -ENAMETOOLONG, "state_dir %s: path too long", state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		ret = create_secret(path, secret, err);
		if (ret)
			return ret;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return softsgx_fail(err, -errno, "%s: %s", path, strerror(errno));
	ret = read_secret(fd, path, secret, err);
	close(fd);
	return ret;
}
