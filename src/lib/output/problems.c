/* output/problems.c - growable lists of problems; see output.h. */
#include "config.h"
#include "output/output.h"

#include <stdlib.h>
#include <string.h>

int tfr_problems_push(struct tfr_problems *l, const char *file, uint64_t record,
		      uint64_t offset, uint64_t length, const char *reason)
{
	struct tfr_problem *p;

	p = tfr_grow_array(l->v, &l->cap, l->n + 1, sizeof(*p));
	if (!p)
		return TFR_ERR_NOMEM;
	l->v = p;
	p = &l->v[l->n];
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
	l->n++;
	return TFR_OK;
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

