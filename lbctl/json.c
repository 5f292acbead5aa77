// SPDX-License-Identifier: GPL-2.0
/*
 * A small streaming JSON writer: values go straight to the stream, so a dump
 * of millions of sessions never sits in memory.  Compact by default
 * (one line), indented by two spaces per level with -p.
 */
#include <inttypes.h>
#include <string.h>

#include "lbctl.h"

#define JW_DEPTH 32

static FILE *out;
static bool pretty;
static int depth;
static bool first[JW_DEPTH];	/* no element written yet at this level */

void jw_init(FILE *f, bool p)
{
	out = f;
	pretty = p;
	depth = 0;
	first[0] = true;
}

static void jw_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void newline(void)
{
	if (pretty) {
		fputc('\n', out);
		for (int i = 0; i < depth; i++)
			fputs("  ", out);
	}
}

/* Separator, indentation and key before a value. */
static void prefix(const char *key)
{
	if (depth > 0) {
		if (!first[depth])
			fputc(',', out);
		newline();
	}
	first[depth] = false;
	if (key) {
		jw_escape(out, key);
		fputs(pretty ? ": " : ":", out);
	}
}

static void open_(const char *key, char c)
{
	prefix(key);
	fputc(c, out);
	if (depth < JW_DEPTH - 1)
		depth++;
	first[depth] = true;
}

static void close_(char c)
{
	bool empty = first[depth];

	if (depth > 0)
		depth--;
	if (!empty)
		newline();
	fputc(c, out);
}

void jw_obj_open(const char *key) { open_(key, '{'); }
void jw_obj_close(void) { close_('}'); }
void jw_arr_open(const char *key) { open_(key, '['); }
void jw_arr_close(void) { close_(']'); }

void jw_str(const char *key, const char *val)
{
	prefix(key);
	jw_escape(out, val ? val : "");
}

void jw_uint(const char *key, uint64_t val)
{
	prefix(key);
	fprintf(out, "%" PRIu64, val);
}

void jw_bool(const char *key, bool val)
{
	prefix(key);
	fputs(val ? "true" : "false", out);
}

void jw_end(void)
{
	fputc('\n', out);
	depth = 0;
	first[0] = true;
}
