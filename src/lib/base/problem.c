/* base/problem.c - growable lists of problems; see problem.h. */
#include "config.h"
#include "base/problem.h"
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

int tfr_problem_append(struct tfr_problem **v, size_t *n, size_t *cap, const char *file,
		       uint64_t record, uint64_t offset, uint64_t length, const char *reason)
{
	struct tfr_problem *p;

	p = tfr_grow_array(*v, cap, *n + 1, sizeof(*p));
	if (!p)
		return TFR_ERR_NOMEM;
	*v = p;
	p = &p[*n];
	p->file = strdup(file);
	p->reason = strdup(reason);
	p->record = record;
	p->offset = offset;
	p->length = length;
	if (!p->file || !p->reason) {
		free(p->file);
		free(p->reason);
		return TFR_ERR_NOMEM;
	}
	++*n;
	return TFR_OK;
}

int tfr_problems_push(struct tfr_problems *l, const char *file, uint64_t record,
		      uint64_t offset, uint64_t length, const char *reason)
{
	return tfr_problem_append(&l->v, &l->n, &l->cap, file, record, offset, length, reason);
}

void tfr_problems_free(struct tfr_problem *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].file);
		free(v[i].reason);
	}
	free(v);
}

void tfr_problems_release(struct tfr_problems *l)
{
	tfr_problems_free(l->v, l->n);
	memset(l, 0, sizeof(*l));
}

