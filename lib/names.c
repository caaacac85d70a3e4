// SPDX-License-Identifier: MIT
/*
 * One copy of the name <-> value loops every small enum's table needs
 * (include/ptsync/names.h says which).
 */
#include <stdio.h>
#include <string.h>

#include "ptsync/names.h"

const char *enum_name(const char *const names[], int n, int v, const char *unknown)
{
	return v >= 0 && v < n ? names[v] : unknown;
}

int enum_find(const char *const names[], int n, const char *name)
{
	for (int v = 0; v < n; v++)
		if (names[v] && !strcmp(names[v], name))
			return v;
	return -1;
}

void names_append(char *buf, size_t len, size_t *off, const char *sep, const char *name)
{
	if (*off >= len)
		return;
	*off += (size_t)snprintf(buf + *off, len - *off, "%s%s", *off ? sep : "", name);
}

const char *enum_set_str(const char *const names[], int n, unsigned int set,
			 char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int v = 0; v < n; v++)
		if (set & (1u << v))
			names_append(buf, len, &off, ",", names[v]);
	return buf;
}
