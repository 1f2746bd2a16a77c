/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "tool_util.h"

int tool_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return tool_error("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return tool_error("%s: not a regular file of at most %zu bytes", path, max);
	}
	*buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!*buf) {
		close(fd);
		return tool_error("%s: out of memory", path);
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			free(*buf);
			close(fd);
			return tool_error("%s: read failed: %s", path,
					  n ? strerror(errno) : "the file shrank");
		}
		done += (size_t)n;
	}
	close(fd);
	*len = done;
	return 0;
}

int tool_write_file(const char *path, const void *buf, size_t len)
{
	size_t tmplen = strlen(path) + 16, done = 0;
	char *tmp = malloc(tmplen);
	int fd;

	if (!tmp)
		return tool_error("%s: out of memory", path);
	snprintf(tmp, tmplen, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;

		free(tmp);
		return tool_error("%s: cannot create a temporary file: %s", path, strerror(e));
	}
	while (done < len) {
		ssize_t n = write(fd, (const uint8_t *)buf + done, len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done < len || fchmod(fd, 0644) || close(fd) || rename(tmp, path)) {
		int e = errno;

		if (done < len)
			close(fd);
		unlink(tmp);
		free(tmp);
		return tool_error("%s: write failed: %s", path, strerror(e));
	}
	free(tmp);
	return 0;
}

bool tool_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

int tool_lib_error(const char *context, const struct softsgx_err *err)
{
	return tool_error("%s: %s", context, err->msg[0] ? err->msg : "failed");
}
