/*
 * unit-status.c - struct tfr_error's fields (base/status.h): the subject
 * and the setting travel as fields, never inside the message, and
 * tfr_error_about() keeps what an inner error knew.
 */
#include "config.h"
#include "tap.h"
#include "lib/base/status.h"

#include <string.h>

int main(void)
{
	struct tfr_error e, w;
	char line[2048];
	char longname[1500];

	tfr_error_clear(&e);
	ok(e.subject[0] == '\0' && e.setting == TFR_SETTING_NONE && e.code == 0 &&
	   e.record == TFR_NO_POS && e.offset == TFR_NO_POS, "a cleared error has every field unset");

	ok(tfr_error_on(&e, TFR_ERR_FORMAT, "a.jpg", "not an image %d", 7) == TFR_ERR_FORMAT &&
	   !strcmp(e.subject, "a.jpg") && !strcmp(e.msg, "not an image 7"),
	   "tfr_error_on: the subject is a field, the message only the reason");
	ok(!strcmp(tfr_error_text(&e, line, sizeof(line)), "'a.jpg': not an image 7"),
	   "tfr_error_text renders 'subject': reason");

	tfr_error_for(&e, TFR_ERR_LIMIT, TFR_SETTING_MAX_PIXELS, "image of %ux%u pixels", 9u, 9u);
	ok(e.setting == TFR_SETTING_MAX_PIXELS && !strstr(e.msg, "--"),
	   "tfr_error_for: the setting is a code, the message names no flag");
	tfr_error_about(&w, TFR_ERR_LIMIT, "x/b.png", &e);
	ok(w.setting == TFR_SETTING_MAX_PIXELS && !strcmp(w.subject, "x/b.png") &&
	   !strcmp(w.msg, e.msg), "tfr_error_about keeps the reason and the setting, sets the subject");

	tfr_error_at(&e, TFR_ERR_CORRUPT, 3, 77, "bad CRC");
	tfr_error_subject(&e, "s.tfrecord");
	tfr_error_about(&w, TFR_ERR_CORRUPT, "s.tfrecord", &e);
	ok(w.record == 3 && w.offset == 77 && !strcmp(w.msg, "bad CRC"),
	   "the same subject again: record and offset kept, nothing repeated");
	tfr_error_about(&w, TFR_ERR_CORRUPT, "list.txt", &e);
	ok(!strcmp(w.subject, "list.txt") && !strcmp(w.msg, "'s.tfrecord': bad CRC"),
	   "another subject: the inner one goes into the reason (%s)", w.msg);
	tfr_error_about(&e, TFR_ERR_IO, "same.jpg", &e);
	ok(e.status == TFR_ERR_IO && !strcmp(e.subject, "same.jpg"), "err and inner may be one");

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	tfr_error_on(&e, TFR_ERR_IO, longname, "cannot read");
	ok(strlen(e.subject) == sizeof(e.subject) - 1, "a long subject is truncated to fit");
	ok(strlen(tfr_error_text(&e, line, 16)) == 15 && !strncmp(line, "'nnn", 4),
	   "tfr_error_text truncates to its buffer");
	ok(tfr_error_on(NULL, TFR_ERR_IO, "x", "y") == TFR_ERR_IO &&
	   tfr_error_for(NULL, TFR_ERR_LIMIT, TFR_SETTING_MAX_FILE, "y") == TFR_ERR_LIMIT &&
	   tfr_error_about(NULL, TFR_ERR_FORMAT, "x", &e) == TFR_ERR_FORMAT,
	   "a NULL err still returns the status");
	return tap_done();
}
