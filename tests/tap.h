/*
 * tap.h - a one-header TAP producer for C unit tests (in the spirit of
 * xz's tests/tuktest.h).  Each check prints "ok N - ..." or "not ok N";
 * tap_done() prints the plan and returns the exit status.  tap_skip_all()
 * skips a whole test whose inputs are missing: "1..0 # SKIP why" and exit 0
 * (Automake's TAP driver reads exit 77 as an ERROR).
 */
#ifndef TFR_TAP_H
#define TFR_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define TAP_UNUSED __attribute__((unused))

static int tap_count, tap_failures;

__attribute__((format(printf, 4, 5)))
static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		printf("# failed at %s:%d\n", file, line);
		tap_failures++;
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 1, 2))) TAP_UNUSED
static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

TAP_UNUSED static void tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}

#endif
