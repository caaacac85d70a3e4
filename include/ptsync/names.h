/* SPDX-License-Identifier: MIT */
/*
 * Names of the small enums options take (--tlb, --arch, --callsite,
 * --unshare-sync): each file keeps one table of names indexed by value,
 * and these read it both ways - a value's name for reports, a name's
 * value for option parsing - and print a set of values as "a,b".  One
 * copy of the loops, so that a table is all an enum's file has to keep.
 * The same for the tables of named structs chosen by an option
 * (--strategy, --kernel): find one by name, list every name.
 */
#ifndef PTSYNC_NAMES_H
#define PTSYNC_NAMES_H

#include <stddef.h>
#include <string.h>	/* strcmp() in DEFINE_NAMED_TABLE_LOOKUPS */

/* names[v] for 0 <= v < n, else @unknown. */
const char *enum_name(const char *const names[], int n, int v, const char *unknown);
/* The v whose names[v] is @name, or -1. */
int enum_find(const char *const names[], int n, const char *name);
/* The names of the values whose bit (1u << v) is in @set, as "a,b". */
const char *enum_set_str(const char *const names[], int n, unsigned int set,
			 char *buf, size_t len);
/*
 * The two lookups an enum's header declares, defined from its table:
 * @name_fn(v) gives names[v] (@unknown out of range), @find_fn(name) the
 * value named so (-1 for none).
 */
#define DEFINE_ENUM_LOOKUPS(name_fn, find_fn, names, n, unknown)	\
	const char *name_fn(int v)					\
	{								\
		return enum_name(names, n, v, unknown);			\
	}								\
	int find_fn(const char *name)					\
	{								\
		return enum_find(names, n, name);			\
	}

/*
 * Append @name to the list in @buf (@len bytes, *@off used so far),
 * after @sep unless it is the first; what does not fit is cut.
 */
void names_append(char *buf, size_t len, size_t *off, const char *sep, const char *name);

/*
 * The two lookups of a NULL-terminated @table of pointers to @type, a
 * struct with a `name` (the strategies, the presets): @find_fn(name)
 * gives the entry so named (NULL for none), @names_fn(buf, len) every
 * name in table order as "a, b", for usage errors and --help.
 */
#define DEFINE_NAMED_TABLE_LOOKUPS(type, find_fn, names_fn, table)	\
	const type *find_fn(const char *name)				\
	{								\
		for (int i = 0; table[i]; i++)				\
			if (!strcmp(table[i]->name, name))		\
				return table[i];			\
		return NULL;						\
	}								\
	const char *names_fn(char *buf, size_t len)			\
	{								\
		size_t off = 0;						\
									\
		buf[0] = 0;						\
		for (int i = 0; table[i]; i++)				\
			names_append(buf, len, &off, ", ", table[i]->name); \
		return buf;						\
	}

#endif /* PTSYNC_NAMES_H */
