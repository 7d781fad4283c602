/*
 * lockdep.runtime._speedups: the per-acquire fast path of the Python runtime in C.
 *
 * LockBase is the base of lockdep's instrumented Lock and RLock.  Its acquire()
 * does what runtime/state.py's fast_acquire does -- a blocking acquisition in
 * process context whose chain of held classes is already in the chain cache
 * pushes an entry and returns -- reading the engine's __slots__ objects through
 * their member offsets, found once in bind().  Anything else calls back into
 * the Python runtime (Runtime.acquire / Runtime.release), so the rules live in
 * one place: the engine.  The call site is recorded as (code, lasti) only.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <frameobject.h>
#include "pythread.h"

/* --- bound state (one runtime per process) -------------------------------- */
static int S_active = 0;
static PyInterpreterState *S_interp = NULL;  /* the interpreter the state belongs to */
static int S_fast = 0;  /* 0 while the runtime records a trace: every event takes the Python path */
static PyObject *S_runtime, *S_validator, *S_threads, *S_chains, *S_nodes, *S_wrapper_code;
static PyObject *S_held_type, *S_ts_type, *S_node_type, *S_slow_acquire, *S_slow_release, *S_contended, *S_contended_done;
static long S_usage_needed;
/* member offsets */
static Py_ssize_t H_lock, H_node, H_read, H_trylock, H_ctx, H_chain_key, H_refs, H_site, H_stack, H_line,
    H_seq, H_owner, T_held, T_last_acq, T_ctx, T_ident, N_usage;
static PyObject *s_acquire, *s_release, *s_is_owned, *s_seq, *s_trylock, *s_push, *s_minus_one;

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

static void
set_slot(PyObject *obj, Py_ssize_t off, PyObject *value)  /* steals value */
{
    PyObject *old = SLOT(obj, off);
    SLOT(obj, off) = value;
    Py_XDECREF(old);
}

typedef struct {
    PyObject_HEAD
    PyObject *block;
    PyObject *node;      /* class node id (int); -1 when not instrumented */
    PyObject *ld_id;
    PyObject *entry;     /* the HeldLock this lock last pushed on the fast path */
    char reentrant;
    PyObject *weakreflist;
} LockBase;

/* 1: pushed, 0: take the slow path, -1: error */
static int
fast_acquire(LockBase *self, PyFrameObject *frame)
{
    if (frame == NULL || !S_fast)
        return 0;
    PyObject *ident = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
    if (ident == NULL)
        return -1;
    PyObject *ts = PyDict_GetItemWithError(S_threads, ident);  /* borrowed */
    Py_DECREF(ident);
    if (ts == NULL)
        return PyErr_Occurred() ? -1 : 0;
    if (!Py_IS_TYPE(ts, (PyTypeObject *)S_ts_type))
        return 0;
    PyObject *ctx = SLOT(ts, T_ctx);
    if (ctx == NULL || PyLong_AsLong(ctx) != 0)
        return PyErr_Occurred() ? -1 : 0;
    Py_ssize_t nid = PyLong_AsSsize_t(self->node);
    if (nid < 0 || nid >= PyList_GET_SIZE(S_nodes))
        return PyErr_Occurred() ? -1 : 0;
    PyObject *node = PyList_GET_ITEM(S_nodes, nid);
    PyObject *usage = SLOT(node, N_usage);
    if (usage == NULL)
        return 0;
    long u = PyLong_AsLong(usage);
    if ((u & S_usage_needed) != S_usage_needed)
        return PyErr_Occurred() ? -1 : 0;
    PyObject *held = SLOT(ts, T_held);
    if (held == NULL || !PyList_CheckExact(held))
        return 0;
    Py_ssize_t n = PyList_GET_SIZE(held);
    PyObject *prev_key;
    if (n) {
        PyObject *top = PyList_GET_ITEM(held, n - 1);
        if (!Py_IS_TYPE(top, (PyTypeObject *)S_held_type))
            return 0;
        PyObject *top_ctx = SLOT(top, H_ctx);
        if (top_ctx == NULL || PyLong_AsLong(top_ctx) != 0)
            return PyErr_Occurred() ? -1 : 0;
        prev_key = SLOT(top, H_chain_key);
        if (prev_key == NULL)
            return 0;
    }
    else {
        prev_key = s_minus_one;
    }
    PyObject *hid = PyLong_FromSsize_t(nid << 2);
    if (hid == NULL)
        return -1;
    PyObject *tup = PyTuple_Pack(2, prev_key, hid);
    Py_DECREF(hid);
    if (tup == NULL)
        return -1;
    Py_hash_t h = PyObject_Hash(tup);
    Py_DECREF(tup);
    if (h == -1 && PyErr_Occurred())
        return -1;
    PyObject *key = PyLong_FromSsize_t(h);
    if (key == NULL)
        return -1;
    int cached = PySet_Contains(S_chains, key);
    if (cached <= 0) {
        Py_DECREF(key);
        return cached;
    }
    PyCodeObject *code = PyFrame_GetCode(frame);  /* new reference */
    PyObject *plain = PyDict_GetItemWithError(S_wrapper_code, (PyObject *)code);
    if (plain != Py_False) {  /* unknown code, a stdlib wrapper or __del__: slow path */
        Py_DECREF(code);
        Py_DECREF(key);
        return PyErr_Occurred() ? -1 : 0;
    }
    int lasti = PyFrame_GetLasti(frame);
    PyObject *entry = self->entry;
    PyObject *site = NULL;
    if (entry != NULL && Py_IS_TYPE(entry, (PyTypeObject *)S_held_type)) {
        /* the same call site as last time (a loop, a hot function): keep its tuple */
        PyObject *old = SLOT(entry, H_site);
        if (old != NULL && PyTuple_CheckExact(old) && PyTuple_GET_SIZE(old) == 2 &&
                PyTuple_GET_ITEM(old, 0) == (PyObject *)code && PyLong_AsLong(PyTuple_GET_ITEM(old, 1)) == lasti)
            site = Py_NewRef(old);
    }
    if (site == NULL) {
        PyObject *li = PyLong_FromLong(lasti);
        site = li != NULL ? PyTuple_Pack(2, (PyObject *)code, li) : NULL;
        Py_XDECREF(li);
    }
    Py_DECREF(code);
    if (site == NULL) {
        Py_DECREF(key);
        return -1;
    }
    PyObject *seq = PyObject_GetAttr(S_validator, s_seq);
    if (seq == NULL) {
        Py_DECREF(site);
        Py_DECREF(key);
        return -1;
    }
    if (entry != NULL && Py_IS_TYPE(entry, (PyTypeObject *)S_held_type) && SLOT(entry, H_owner) == ts &&
            SLOT(entry, H_refs) != NULL && PyLong_AsLong(SLOT(entry, H_refs)) == 0) {
        /* this thread's previous entry for the lock, off the stack: reuse it */
        Py_INCREF(entry);
        set_slot(entry, H_site, site);
        set_slot(entry, H_seq, seq);
        Py_INCREF(self->node);
        set_slot(entry, H_node, self->node);
        set_slot(entry, H_refs, PyLong_FromLong(1));
    }
    else {
        entry = PyObject_CallFunction(S_held_type, "OOiOiOOiO", (PyObject *)self, self->node, 0, Py_False, 0,
                                      site, Py_None, 0, seq);
        Py_DECREF(site);
        Py_DECREF(seq);
        if (entry == NULL) {
            Py_DECREF(key);
            return -1;
        }
        Py_INCREF(ts);
        set_slot(entry, H_owner, ts);
        Py_INCREF(entry);
        Py_XSETREF(self->entry, entry);
    }
    set_slot(entry, H_chain_key, key);  /* steals key */
    int rc = PyList_Append(held, entry);
    if (rc == 0) {
        PyObject *last = SLOT(ts, T_last_acq);
        rc = last != NULL ? PyDict_SetItem(last, self->node, entry) : 0;
    }
    Py_DECREF(entry);
    return rc < 0 ? -1 : 1;
}

static int
is_owned(LockBase *self)
{
    PyObject *r = PyObject_CallMethodNoArgs(self->block, s_is_owned);
    if (r == NULL)
        return -1;
    int t = PyObject_IsTrue(r);
    Py_DECREF(r);
    return t;
}

static int
instrumented(LockBase *self)
{
    /* a subinterpreter's locks are plain locks: the bound state is the main runtime's */
    return S_active && S_interp == PyInterpreterState_Get() && self->node != NULL && PyLong_Check(self->node) &&
        PyLong_AsLong(self->node) >= 0;
}

static PyObject *
slow_release(LockBase *self)
{
    return PyObject_CallOneArg(S_slow_release, (PyObject *)self);
}

/* The lock was taken but its bookkeeping raised (a signal handler's KeyboardInterrupt): the
   caller never got it, so it is released, keeping the exception.  Returns NULL. */
static PyObject *
give_back(LockBase *self)
{
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyObject *r = PyObject_CallMethodNoArgs(self->block, s_release);
    Py_XDECREF(r);
    PyErr_Restore(t, v, tb);
    return NULL;
}

/* A contended blocking acquisition: Python validates (and registers the wait with the hang
   watchdog), C blocks, Python pushes.  No Python frame runs between taking the lock and the
   push, and a push that raises (a signal handler's KeyboardInterrupt) gives the lock back. */
static PyObject *
contended_acquire(LockBase *self, PyFrameObject *frame)
{
    PyObject *f = frame ? (PyObject *)frame : Py_None;
    PyObject *tok = PyObject_CallFunctionObjArgs(S_contended, (PyObject *)self, f, NULL);
    if (tok == NULL)
        return NULL;
    if (tok == Py_None) {  /* handled in Python: the lock is the caller's */
        Py_DECREF(tok);
        Py_RETURN_TRUE;
    }
    PyObject *w = PyTuple_Check(tok) && PyTuple_GET_SIZE(tok) == 2 ? PyTuple_GET_ITEM(tok, 0) : Py_None;
    double chunk = PyTuple_Check(tok) && PyTuple_GET_SIZE(tok) == 2 ? PyFloat_AsDouble(PyTuple_GET_ITEM(tok, 1)) : -1;
    for (;;) {
        PyObject *res = PyObject_CallMethod(self->block, "acquire", "id", 1, chunk);
        int got = res == NULL ? -1 : PyObject_IsTrue(res);
        Py_XDECREF(res);
        PyObject *r = NULL;
        if (got == 0 && w != Py_None)
            r = PyObject_CallMethod(w, "check", NULL);
        if (got < 0 || (got == 0 && w != Py_None && r == NULL)) {  /* interrupted or aborted: not taken */
            Py_XDECREF(r);
            PyObject *t, *v, *tb;
            PyErr_Fetch(&t, &v, &tb);
            PyObject *r2 = PyObject_CallFunctionObjArgs(S_contended_done, (PyObject *)self, Py_None, tok, NULL);
            Py_XDECREF(r2);
            PyErr_Restore(t, v, tb);
            Py_DECREF(tok);
            return NULL;
        }
        Py_XDECREF(r);
        if (got)
            break;
    }
    PyObject *r = PyObject_CallFunctionObjArgs(S_contended_done, (PyObject *)self, f, tok, NULL);
    Py_DECREF(tok);
    if (r == NULL) {
        return give_back(self);
    }
    Py_DECREF(r);
    Py_RETURN_TRUE;
}

static PyObject *
do_acquire(LockBase *self, int blocking, double timeout)
{
    if (self->block == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "lock not initialised");
        return NULL;
    }
    int owned = 0;
    if (instrumented(self) && self->reentrant && (owned = is_owned(self)) < 0)
        return NULL;
    if (!instrumented(self) || owned)
        return PyObject_CallMethod(self->block, "acquire", "id", blocking, timeout);
    PyFrameObject *frame = PyEval_GetFrame();  /* borrowed: the caller's frame */
    if (blocking && timeout == -1) {
        /* A lock goes on the held stack only once it is owned: try it without blocking (a
           contended acquisition validates, blocks, then pushes: contended_acquire).  A chain of
           classes not seen before is validated before the lock is taken, as the kernel does, so
           lockdep's own slow path (reports, allocations, gc callbacks) never runs under it. */
        PyObject *f = frame ? (PyObject *)frame : Py_None;
        for (int validated = 0;; validated = 1) {
            PyObject *res = PyObject_CallMethodOneArg(self->block, s_acquire, Py_False);
            if (res == NULL)
                return NULL;
            int got = PyObject_IsTrue(res);
            Py_DECREF(res);
            if (got < 0)
                return NULL;
            if (!got)
                return contended_acquire(self, frame);
            int r = validated ? 0 : fast_acquire(self, frame);
            if (r == 1)
                Py_RETURN_TRUE;
            if (r == 0 && !validated) {
                PyObject *r2 = PyObject_CallMethodNoArgs(self->block, s_release);
                if (r2 == NULL)
                    return NULL;
                Py_DECREF(r2);
                PyObject *args = PyTuple_Pack(2, (PyObject *)self, f);
                PyObject *kw = Py_BuildValue("{O:O}", s_push, Py_False);
                res = (args && kw) ? PyObject_Call(S_slow_acquire, args, kw) : NULL;
                Py_XDECREF(args);
                Py_XDECREF(kw);
                if (res == NULL)
                    return NULL;
                Py_DECREF(res);
                continue;
            }
            res = r < 0 ? NULL : PyObject_CallFunctionObjArgs(S_slow_acquire, (PyObject *)self, f, NULL);
            if (res == NULL) {  /* interrupted in the bookkeeping: the caller never got the lock */
                return give_back(self);
            }
            Py_DECREF(res);
            Py_RETURN_TRUE;
        }
    }
    PyObject *res = PyObject_CallMethod(self->block, "acquire", "id", blocking, timeout);
    if (res == NULL || !PyObject_IsTrue(res))
        return res;
    PyObject *args = PyTuple_Pack(2, (PyObject *)self, frame ? (PyObject *)frame : Py_None);
    PyObject *kw = Py_BuildValue("{O:O}", s_trylock, Py_True);
    PyObject *r = (args && kw) ? PyObject_Call(S_slow_acquire, args, kw) : NULL;
    Py_XDECREF(args);
    Py_XDECREF(kw);
    if (r == NULL) {
        Py_DECREF(res);
        return give_back(self);
    }
    Py_DECREF(r);
    return res;
}

static PyObject *
LockBase_acquire(LockBase *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"blocking", "timeout", NULL};
    int blocking = 1;
    double timeout = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|pd:acquire", kwlist, &blocking, &timeout))
        return NULL;
    return do_acquire(self, blocking, timeout);
}

static PyObject *
LockBase_enter(LockBase *self, PyObject *unused)
{
    return do_acquire(self, 1, -1);
}

static PyObject *
LockBase_release(LockBase *self, PyObject *unused)
{
    if (self->block == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "lock not initialised");
        return NULL;
    }
    PyObject *r = PyObject_CallMethodNoArgs(self->block, s_release);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    if (!instrumented(self))
        Py_RETURN_NONE;
    if (self->reentrant) {
        int owned = is_owned(self);
        if (owned < 0)
            return NULL;
        if (owned)
            Py_RETURN_NONE;
    }
    /* fast path: the entry this lock last pushed is on top of the caller's own stack */
    PyObject *h = self->entry;
    if (S_fast && h != NULL && Py_IS_TYPE(h, (PyTypeObject *)S_held_type)) {
        PyObject *refs = SLOT(h, H_refs), *ts = SLOT(h, H_owner);
        if (refs != NULL && PyLong_AsLong(refs) != 0 && ts != NULL && Py_IS_TYPE(ts, (PyTypeObject *)S_ts_type)) {
            PyObject *held = SLOT(ts, T_held), *tid = SLOT(ts, T_ident);
            Py_ssize_t n = held != NULL && PyList_CheckExact(held) ? PyList_GET_SIZE(held) : 0;
            if (n && PyList_GET_ITEM(held, n - 1) == h && tid != NULL &&
                    PyLong_AsUnsignedLong(tid) == PyThread_get_thread_ident()) {
                if (PyList_SetSlice(held, n - 1, n, NULL) < 0)
                    return NULL;
                set_slot(h, H_refs, PyLong_FromLong(0));
                Py_RETURN_NONE;
            }
        }
        PyErr_Clear();
    }
    return slow_release(self);
}

static PyObject *
LockBase_exit(LockBase *self, PyObject *args)
{
    return LockBase_release(self, NULL);
}

static int
LockBase_traverse(LockBase *self, visitproc visit, void *arg)
{
    Py_VISIT(self->block);
    Py_VISIT(self->node);
    Py_VISIT(self->ld_id);
    Py_VISIT(self->entry);
    return 0;
}

static int
LockBase_clear(LockBase *self)
{
    Py_CLEAR(self->block);
    Py_CLEAR(self->node);
    Py_CLEAR(self->ld_id);
    Py_CLEAR(self->entry);
    return 0;
}

static void
LockBase_dealloc(LockBase *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    LockBase_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef LockBase_methods[] = {
    {"acquire", (PyCFunction)(void (*)(void))LockBase_acquire, METH_VARARGS | METH_KEYWORDS, NULL},
    {"release", (PyCFunction)LockBase_release, METH_NOARGS, NULL},
    {"__enter__", (PyCFunction)LockBase_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)LockBase_exit, METH_VARARGS, NULL},
    {NULL},
};

static PyMemberDef LockBase_members[] = {
    {"_block", T_OBJECT, offsetof(LockBase, block), 0, NULL},
    {"_ld_node", T_OBJECT, offsetof(LockBase, node), 0, NULL},
    {"_ld_id", T_OBJECT, offsetof(LockBase, ld_id), 0, NULL},
    {"_ld_entry", T_OBJECT, offsetof(LockBase, entry), 0, NULL},
    {"_ld_reentrant", T_BOOL, offsetof(LockBase, reentrant), 0, NULL},
    {NULL},
};

static PyTypeObject LockBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lockdep.runtime._speedups.LockBase",
    .tp_basicsize = sizeof(LockBase),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)LockBase_dealloc,
    .tp_traverse = (traverseproc)LockBase_traverse,
    .tp_clear = (inquiry)LockBase_clear,
    .tp_methods = LockBase_methods,
    .tp_members = LockBase_members,
    .tp_weaklistoffset = offsetof(LockBase, weakreflist),
};

/* --- bind / unbind ---------------------------------------------------------- */
static int
member_offset(PyObject *type, const char *name, Py_ssize_t *out)
{
    PyObject *d = PyObject_GetAttrString(type, name);
    if (d == NULL)
        return -1;
    if (!Py_IS_TYPE(d, &PyMemberDescr_Type)) {
        PyErr_Format(PyExc_TypeError, "%s is not a __slots__ member", name);
        Py_DECREF(d);
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    if (m->type != T_OBJECT_EX && m->type != T_OBJECT) {
        PyErr_Format(PyExc_TypeError, "%s is not an object member", name);
        Py_DECREF(d);
        return -1;
    }
    *out = m->offset;
    Py_DECREF(d);
    return 0;
}

static void
clear_bound(void)
{
    S_active = 0;
    S_fast = 0;
    Py_CLEAR(S_runtime);
    Py_CLEAR(S_validator);
    Py_CLEAR(S_threads);
    Py_CLEAR(S_chains);
    Py_CLEAR(S_nodes);
    Py_CLEAR(S_wrapper_code);
    Py_CLEAR(S_held_type);
    Py_CLEAR(S_ts_type);
    Py_CLEAR(S_node_type);
    Py_CLEAR(S_slow_acquire);
    Py_CLEAR(S_slow_release);
    Py_CLEAR(S_contended);
    Py_CLEAR(S_contended_done);
}

static PyObject *
bind(PyObject *mod, PyObject *args)
{
    PyObject *runtime, *validator, *threads, *chains, *nodes, *wrapper_code, *held_type, *ts_type, *node_type;
    long usage_needed;
    int fast;
    if (!PyArg_ParseTuple(args, "OOO!O!O!O!OOOlp:bind", &runtime, &validator, &PyDict_Type, &threads, &PySet_Type,
                          &chains, &PyList_Type, &nodes, &PyDict_Type, &wrapper_code, &held_type, &ts_type,
                          &node_type, &usage_needed, &fast))
        return NULL;
    if (S_active && S_interp != PyInterpreterState_Get()) {
        PyErr_SetString(PyExc_RuntimeError, "the C core is bound to another interpreter");
        return NULL;
    }
    static const char *hnames[] = {"lock", "node", "read", "trylock", "ctx", "chain_key", "refs", "site", "stack",
                                   "line", "seq", "owner"};
    Py_ssize_t *hoffs[] = {&H_lock, &H_node, &H_read, &H_trylock, &H_ctx, &H_chain_key, &H_refs, &H_site, &H_stack,
                           &H_line, &H_seq, &H_owner};
    for (int i = 0; i < 12; i++)
        if (member_offset(held_type, hnames[i], hoffs[i]) < 0)
            return NULL;
    if (member_offset(ts_type, "held", &T_held) < 0 || member_offset(ts_type, "last_acq", &T_last_acq) < 0 ||
            member_offset(ts_type, "ctx", &T_ctx) < 0 || member_offset(ts_type, "ident", &T_ident) < 0 ||
            member_offset(node_type, "usage", &N_usage) < 0)
        return NULL;
    clear_bound();
    PyObject *slow_acquire = PyObject_GetAttrString(runtime, "acquire");
    PyObject *slow_release = PyObject_GetAttrString(runtime, "release");
    PyObject *contended = PyObject_GetAttrString(runtime, "contended");
    PyObject *contended_done = PyObject_GetAttrString(runtime, "contended_done");
    if (slow_acquire == NULL || slow_release == NULL || contended == NULL || contended_done == NULL) {
        Py_XDECREF(slow_acquire);
        Py_XDECREF(slow_release);
        Py_XDECREF(contended);
        Py_XDECREF(contended_done);
        return NULL;
    }
    S_slow_acquire = slow_acquire;
    S_slow_release = slow_release;
    S_contended = contended;
    S_contended_done = contended_done;
    S_runtime = Py_NewRef(runtime);
    S_validator = Py_NewRef(validator);
    S_threads = Py_NewRef(threads);
    S_chains = Py_NewRef(chains);
    S_nodes = Py_NewRef(nodes);
    S_wrapper_code = Py_NewRef(wrapper_code);
    S_held_type = Py_NewRef(held_type);
    S_ts_type = Py_NewRef(ts_type);
    S_node_type = Py_NewRef(node_type);
    S_usage_needed = usage_needed;
    S_fast = fast;
    S_interp = PyInterpreterState_Get();
    S_active = 1;
    Py_RETURN_NONE;
}

static PyObject *
unbind(PyObject *mod, PyObject *unused)
{
    if (S_interp == PyInterpreterState_Get())
        clear_bound();
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"bind", bind, METH_VARARGS, "Attach the fast path to a runtime (its validator's shared maps)."},
    {"unbind", unbind, METH_NOARGS, "Detach: locks behave as plain locks."},
    {NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "lockdep.runtime._speedups", "C fast path of lockdep's Python runtime.", -1,
    module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&LockBaseType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    s_acquire = PyUnicode_InternFromString("acquire");
    s_release = PyUnicode_InternFromString("release");
    s_is_owned = PyUnicode_InternFromString("_is_owned");
    s_seq = PyUnicode_InternFromString("seq");
    s_trylock = PyUnicode_InternFromString("trylock");
    s_push = PyUnicode_InternFromString("push");
    s_minus_one = PyLong_FromLong(-1);
    Py_INCREF(&LockBaseType);
    if (PyModule_AddObject(m, "LockBase", (PyObject *)&LockBaseType) < 0) {
        Py_DECREF(&LockBaseType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
