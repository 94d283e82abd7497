/* list.h: intrusive doubly linked lists (the element lives in its owner,
 * as libre's struct le does): O(1) insert and unlink, no allocation. */
#ifndef SIPTERM_LIST_H
#define SIPTERM_LIST_H

#include <stddef.h>

struct le {
	struct le *prev, *next;
	struct list *list;
	void *data;
};

struct list {
	struct le *head, *tail;
	size_t n;
};

#define LIST_INIT { NULL, NULL, 0 }

static inline void list_init(struct list *l)
{
	l->head = l->tail = NULL;
	l->n = 0;
}

static inline void list_append(struct list *l, struct le *e, void *data)
{
	e->list = l;
	e->data = data;
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
	l->n++;
}

static inline void list_prepend(struct list *l, struct le *e, void *data)
{
	e->list = l;
	e->data = data;
	e->prev = NULL;
	e->next = l->head;
	if (l->head)
		l->head->prev = e;
	else
		l->tail = e;
	l->head = e;
	l->n++;
}

/* Safe on an element that is in no list. */
static inline void list_unlink(struct le *e)
{
	struct list *l = e->list;
	if (!l)
		return;
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	l->n--;
	e->prev = e->next = NULL;
	e->list = NULL;
}

static inline size_t list_count(const struct list *l)
{
	return l->n;
}

#define LIST_FOREACH(l, e) for (struct le *e = (l)->head; e; e = e->next)
/* Iteration that tolerates unlinking (or freeing) the current element. */
#define LIST_FOREACH_SAFE(l, e, tmp) \
	for (struct le *e = (l)->head, *tmp = e ? e->next : NULL; e; \
	     e = tmp, tmp = e ? e->next : NULL)

#endif
