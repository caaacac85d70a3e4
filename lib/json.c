// SPDX-License-Identifier: MIT
/*
 * The one JSON helper the reports need: a quoted, escaped string.
 * Everything else they write is numbers, keys and brackets.  The jw_
 * ("JSON writer") prefix keeps it apart from jansson's json_* names, which
 * the tools link beside it (a static link would otherwise see two
 * json_string symbols).
 */
#include <stdio.h>

#include "ptsync/util.h"

void jw_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
