/*
 * lockdep.runtime._speedups: the per-acquire fast path of the Python runtime in C.
 *
 * LockBase is the base of lockdep's instrumented Lock and RLock.  Its acquire()
 * does what runtime/state.py's fast_acquire does -- a blocking acquisition in
 * process context whose chain of held classes is already in the chain cache
 * pushes an entry and returns (the kernel's chain-cache hit) -- and its release()
 * pops it.  Anything else calls back into the Python runtime (Runtime.acquire,
 * Runtime.release, Runtime.contended), so the rules live in one place: the engine.
 *
 * What keeps the hit cheap:
 *   - the calling thread's ThreadState is cached in a C thread-local, valid while
 *     the runtime's thread map is unchanged (Runtime calls threads_changed());
 *   - the chain key is computed in C, as the engine computes it (hash of the tuple
 *     (previous key, class << 2)), and looked up in ChainSet, a C hash set of
 *     64-bit keys that stands in for the validator's ``chains`` set;
 *   - the held stack is the engine's own list of HeldLock entries (its slow path
 *     reads it), appended to and popped in place; each lock reuses its entry, its
 *     site tuple and its chain key object while they do not change;
 *   - the underlying _thread lock is taken and released through its C struct where
 *     its layout is the one probed at import (an RLock's re-entry by its owner is a
 *     counter bump), else through its methods' C functions;
 *   - a contended acquisition that leaves nothing for Python to record (no hang
 *     watchdog, no hand-off class, no self-wait, a cached chain) blocks and pushes
 *     here too;
 *   - the call site is (code, instruction offset): lines are resolved only when a
 *     report or a new dependency needs them.
 * Everything here runs under the GIL; README, "Free-threaded CPython", says what
 * would change without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <frameobject.h>
#include <stdint.h>
#include "pythread.h"

#if defined(_MSC_VER)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL __thread
#endif

/* --- bound state (one runtime per process) -------------------------------- */
static int S_active = 0;
static PyInterpreterState *S_interp = NULL;  /* the interpreter the state belongs to */
static int S_fast = 0;  /* 0 while the runtime records a trace: every event takes the Python path */
static uint64_t S_gen = 1;  /* bumped whenever the runtime's thread map changes */
static PyObject *S_runtime, *S_validator, *S_threads, *S_nodes, *S_wrapper_files, *S_handoff, *S_watchdog;
static PyObject *S_held_type, *S_ts_type, *S_slow_acquire, *S_slow_release, *S_contended, *S_contended_done;
static struct ChainSet *S_chains;
static long S_usage_needed;
/* member offsets */
static Py_ssize_t V_seq, H_lock, H_node, H_ctx, H_chain_key, H_refs, H_site, H_seq, H_owner, T_held, T_last_acq, T_ctx, T_ident,
    N_usage;
static PyObject *s_acquire, *s_release, *s_is_owned, *s_current, *s_seq, *s_trylock, *s_push, *s_args_false;
static int S_tuple_hash_ok;  /* the chain key can be computed without building the tuple */

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

static void
set_slot(PyObject *obj, Py_ssize_t off, PyObject *value)  /* steals value */
{
    PyObject *old = SLOT(obj, off);
    SLOT(obj, off) = value;
    Py_XDECREF(old);
}

static PyObject *S_zero, *S_one;  /* small ints: ctx and refs are mostly these objects */

static int
is_zero(PyObject *v)  /* ctx, refs */
{
    if (v == S_zero)
        return 1;
    if (v == S_one || v == NULL || !PyLong_Check(v))
        return 0;
    long x = PyLong_AsLong(v);
    if (x == -1 && PyErr_Occurred())
        PyErr_Clear();
    return x == 0;
}

/* --- the calling thread's ThreadState ---------------------------------------- */
static THREAD_LOCAL PyObject *tl_ts;  /* borrowed: the runtime's thread map keeps it alive */
static THREAD_LOCAL uint64_t tl_gen;

/* borrowed, or NULL (not registered yet, or an error is set) */
static PyObject *
current_ts(void)
{
    if (tl_gen == S_gen)
        return tl_ts;
    PyObject *ident = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
    if (ident == NULL)
        return NULL;
    PyObject *ts = PyDict_GetItemWithError(S_threads, ident);
    Py_DECREF(ident);
    if (ts == NULL || !Py_IS_TYPE(ts, (PyTypeObject *)S_ts_type))
        return NULL;
    tl_ts = ts;
    tl_gen = S_gen;
    return ts;
}

static PyObject *
threads_changed(PyObject *mod, PyObject *unused)
{
    S_gen++;
    Py_RETURN_NONE;
}

/* --- chain keys: hash((prev, hid)) of two ints, as CPython computes it ---------- */
#define HASH_MODULUS (((uint64_t)1 << 61) - 1)
#define XXPRIME_1 ((uint64_t)11400714785074694791ULL)
#define XXPRIME_2 ((uint64_t)14029467366897019727ULL)
#define XXPRIME_5 ((uint64_t)2870177450012600261ULL)
#define XXROTATE(x) (((x) << 31) | ((x) >> 33))

static uint64_t
int_hash(int64_t v)  /* hash(int(v)) */
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    a = (a & HASH_MODULUS) + (a >> 61);  /* a % (2**61 - 1), without a division */
    if (a >= HASH_MODULUS)
        a -= HASH_MODULUS;
    int64_t h = (int64_t)a;
    if (v < 0)
        h = -h;
    return (uint64_t)(h == -1 ? -2 : h);
}

static int64_t
pair_hash(int64_t a, int64_t b)  /* hash((a, b)) */
{
    uint64_t acc = XXPRIME_5;
    acc += int_hash(a) * XXPRIME_2;
    acc = XXROTATE(acc);
    acc *= XXPRIME_1;
    acc += int_hash(b) * XXPRIME_2;
    acc = XXROTATE(acc);
    acc *= XXPRIME_1;
    acc += 2 ^ (XXPRIME_5 ^ 3527539UL);
    if (acc == (uint64_t)-1)
        return 1546275796;
    return (int64_t)acc;
}

/* hash((a, b)) by building the tuple */
static int
tuple_hash(int64_t a, int64_t b, int64_t *out)
{
    PyObject *t = Py_BuildValue("(LL)", (long long)a, (long long)b);
    if (t == NULL)
        return -1;
    Py_hash_t h = PyObject_Hash(t);
    Py_DECREF(t);
    if (h == -1 && PyErr_Occurred())
        return -1;
    *out = h;
    return 0;
}

/* the engine's chain key: without a tuple, unless this interpreter hashes tuples otherwise */
static int
chain_key(int64_t prev, int64_t hid, int64_t *out)
{
    if (S_tuple_hash_ok) {
        *out = pair_hash(prev, hid);
        return 0;
    }
    return tuple_hash(prev, hid, out);
}

static int
check_tuple_hash(void)
{
    static const int64_t samples[][2] = {{-1, 0}, {-1, 4}, {-3, 8}, {0, 0}, {1, -1}, {INT64_MIN, 12},
                                         {INT64_MAX, 4000}, {-2305843009213693951LL, 3}, {123456789012345LL, 40}};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        int64_t h;
        if (tuple_hash(samples[i][0], samples[i][1], &h) < 0)
            return -1;
        if (h != pair_hash(samples[i][0], samples[i][1]))
            return 0;
    }
    return 1;
}

/* --- ChainSet: the chain cache, a set of 64-bit keys ---------------------------- */
typedef struct ChainSet {
    PyObject_HEAD
    int64_t *table;  /* open addressing; 0 marks an empty slot (key 0 is has_zero) */
    Py_ssize_t mask;
    Py_ssize_t used;
    int has_zero;
} ChainSet;

static PyTypeObject ChainSetType;

static inline Py_ssize_t
cs_slot(const ChainSet *s, int64_t key)
{
    uint64_t h = (uint64_t)key * XXPRIME_1;
    Py_ssize_t i = (Py_ssize_t)((h ^ (h >> 29)) & (uint64_t)s->mask);
    while (s->table[i] != 0 && s->table[i] != key)
        i = (i + 1) & s->mask;
    return i;
}

static inline int
cs_contains(const ChainSet *s, int64_t key)
{
    if (key == 0)
        return s->has_zero;
    return s->table[cs_slot(s, key)] == key;
}

static int
cs_add(ChainSet *s, int64_t key)
{
    if (key == 0) {
        s->used += !s->has_zero;
        s->has_zero = 1;
        return 0;
    }
    Py_ssize_t i = cs_slot(s, key);
    if (s->table[i] == key)
        return 0;
    if ((s->used + 1) * 2 > s->mask + 1) {  /* grow at half full */
        Py_ssize_t size = (s->mask + 1) * 2;
        int64_t *table = PyMem_Calloc((size_t)size, sizeof(int64_t));
        if (table == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        int64_t *old = s->table;
        Py_ssize_t old_size = s->mask + 1;
        s->table = table;
        s->mask = size - 1;
        for (Py_ssize_t j = 0; j < old_size; j++)
            if (old[j] != 0)
                s->table[cs_slot(s, old[j])] = old[j];
        PyMem_Free(old);
        i = cs_slot(s, key);
    }
    s->table[i] = key;
    s->used++;
    return 0;
}

static int
cs_key(PyObject *o, int64_t *key)  /* 1: a key, 0: not one (no error), -1: error */
{
    if (!PyLong_Check(o))
        return 0;
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (overflow)
        return 0;
    *key = v;
    return 1;
}

static int
cs_reset(ChainSet *s)
{
    int64_t *table = PyMem_Calloc(64, sizeof(int64_t));
    if (table == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    PyMem_Free(s->table);
    s->table = table;
    s->mask = 63;
    s->used = 0;
    s->has_zero = 0;
    return 0;
}

static PyObject *
ChainSet_add(ChainSet *s, PyObject *o)
{
    int64_t key;
    int r = cs_key(o, &key);
    if (r == 0)
        PyErr_SetString(PyExc_TypeError, "a chain key is an int of 64 bits");
    if (r <= 0 || cs_add(s, key) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
ChainSet_update(ChainSet *s, PyObject *iterable)
{
    PyObject *it = PyObject_GetIter(iterable);
    if (it == NULL)
        return NULL;
    PyObject *o;
    while ((o = PyIter_Next(it)) != NULL) {
        PyObject *r = ChainSet_add(s, o);
        Py_DECREF(o);
        if (r == NULL) {
            Py_DECREF(it);
            return NULL;
        }
        Py_DECREF(r);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
ChainSet_clear(ChainSet *s, PyObject *unused)
{
    if (cs_reset(s) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int
ChainSet_init(ChainSet *s, PyObject *args, PyObject *kwds)
{
    PyObject *iterable = NULL;
    if (!PyArg_ParseTuple(args, "|O:ChainSet", &iterable) || cs_reset(s) < 0)
        return -1;
    if (iterable != NULL) {
        PyObject *r = ChainSet_update(s, iterable);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}

static int
ChainSet_contains(ChainSet *s, PyObject *o)
{
    int64_t key;
    int r = cs_key(o, &key);
    return r <= 0 ? r : cs_contains(s, key);
}

static Py_ssize_t
ChainSet_len(ChainSet *s)
{
    return s->used;
}

static PyObject *
ChainSet_iter(ChainSet *s)
{
    PyObject *keys = PyList_New(0);
    if (keys == NULL)
        return NULL;
    for (Py_ssize_t i = -1; i <= s->mask; i++) {
        if (i < 0 ? !s->has_zero : s->table[i] == 0)
            continue;
        PyObject *k = PyLong_FromLongLong(i < 0 ? 0 : s->table[i]);
        if (k == NULL || PyList_Append(keys, k) < 0) {
            Py_XDECREF(k);
            Py_DECREF(keys);
            return NULL;
        }
        Py_DECREF(k);
    }
    PyObject *it = PyObject_GetIter(keys);
    Py_DECREF(keys);
    return it;
}

static void
ChainSet_dealloc(ChainSet *s)
{
    PyMem_Free(s->table);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyMethodDef ChainSet_methods[] = {
    {"add", (PyCFunction)ChainSet_add, METH_O, "Add a chain key."},
    {"update", (PyCFunction)ChainSet_update, METH_O, "Add the chain keys of an iterable."},
    {"clear", (PyCFunction)ChainSet_clear, METH_NOARGS, "Forget every chain."},
    {NULL},
};

static PySequenceMethods ChainSet_as_sequence = {
    .sq_length = (lenfunc)ChainSet_len,
    .sq_contains = (objobjproc)ChainSet_contains,
};

static PyTypeObject ChainSetType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lockdep.runtime._speedups.ChainSet",
    .tp_doc = "The chain cache: a set of 64-bit chain keys the C fast path reads without Python objects.",
    .tp_basicsize = sizeof(ChainSet),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)ChainSet_init,
    .tp_dealloc = (destructor)ChainSet_dealloc,
    .tp_as_sequence = &ChainSet_as_sequence,
    .tp_iter = (getiterfunc)ChainSet_iter,
    .tp_methods = ChainSet_methods,
};

/* --- the underlying _thread lock's methods, called through their C functions --- */
typedef struct {
    PyTypeObject *type;
    PyMethodDef *acquire, *release, *is_owned;
} BlockMethods;

static BlockMethods S_blocks[2];  /* _thread.lock and _thread.RLock, found on first use */

static PyMethodDef *
method_def(PyTypeObject *type, PyObject *name)
{
    PyObject *d = _PyType_Lookup(type, name);  /* borrowed */
    if (d == NULL || !Py_IS_TYPE(d, &PyMethodDescr_Type))
        return NULL;
    PyMethodDef *m = ((PyMethodDescrObject *)d)->d_method;
    int flags = m->ml_flags & ~(METH_COEXIST);
    /* the calling conventions call_method() knows */
    if (flags == METH_NOARGS || flags == (METH_VARARGS | METH_KEYWORDS) || flags == METH_VARARGS ||
            flags == METH_FASTCALL || flags == (METH_FASTCALL | METH_KEYWORDS))
        return m;
    return NULL;
}

static BlockMethods *
block_methods(PyObject *block)
{
    PyTypeObject *type = Py_TYPE(block);
    for (int i = 0; i < 2; i++) {
        if (S_blocks[i].type == type)
            return &S_blocks[i];
        if (S_blocks[i].type == NULL) {
            if (strcmp(type->tp_name, "_thread.lock") != 0 && strcmp(type->tp_name, "_thread.RLock") != 0)
                return NULL;
            Py_INCREF(type);
            S_blocks[i].type = type;
            S_blocks[i].acquire = method_def(type, s_acquire);
            S_blocks[i].release = method_def(type, s_release);
            S_blocks[i].is_owned = method_def(type, s_is_owned);
            return &S_blocks[i];
        }
    }
    return NULL;
}

/* m(self, *args) for the conventions method_def() accepts; args: a tuple */
static PyObject *
call_def(PyMethodDef *m, PyObject *self, PyObject *args)
{
    int flags = m->ml_flags & ~(METH_COEXIST);
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    switch (flags) {
    case METH_NOARGS:
        if (n == 0)
            return m->ml_meth(self, NULL);
        break;
    case METH_VARARGS:
        return m->ml_meth(self, args);
    case METH_VARARGS | METH_KEYWORDS:
        return ((PyCFunctionWithKeywords)(void (*)(void))m->ml_meth)(self, args, NULL);
    case METH_FASTCALL:
        return ((_PyCFunctionFast)(void (*)(void))m->ml_meth)(self, &PyTuple_GET_ITEM(args, 0), n);
    case METH_FASTCALL | METH_KEYWORDS:
        return ((_PyCFunctionFastWithKeywords)(void (*)(void))m->ml_meth)(self, &PyTuple_GET_ITEM(args, 0), n,
                                                                            NULL);
    }
    PyErr_SetString(PyExc_SystemError, "unexpected calling convention");
    return NULL;
}

static PyObject *empty_tuple;

/* block.<name>(*args), through the C function when the block is a _thread lock */
static PyObject *
call_block(PyObject *block, int which, PyObject *name, PyObject *args)
{
    BlockMethods *bm = block_methods(block);
    PyMethodDef *m = bm == NULL ? NULL : which == 0 ? bm->acquire : which == 1 ? bm->release : bm->is_owned;
    if (m != NULL)
        return call_def(m, block, args);
    PyObject *meth = PyObject_GetAttr(block, name);
    if (meth == NULL)
        return NULL;
    PyObject *r = PyObject_Call(meth, args, NULL);
    Py_DECREF(meth);
    return r;
}

/* 1 / 0 / -1 (error) */
static int
call_block_bool(PyObject *block, int which, PyObject *name, PyObject *args)
{
    PyObject *r = call_block(block, which, name, args);
    if (r == NULL)
        return -1;
    int t = r == Py_True ? 1 : r == Py_False ? 0 : PyObject_IsTrue(r);
    Py_DECREF(r);
    return t;
}

/* The objects of _thread.lock and _thread.RLock as CPython 3.11 and 3.12 lay them out
   (Modules/_threadmodule.c).  probe_layouts() checks the layout against the objects'
   behaviour at import; where it does not match (3.13 has other locks), their methods are
   called instead.  With the layout, an uncontended acquisition is one non-blocking
   PyThread_acquire_lock_timed, and an RLock's re-entry by its owner a counter bump. */
typedef struct {
    PyObject_HEAD
    PyThread_type_lock lock_lock;
    PyObject *in_weakreflist;
    char locked;
} RawLockObject;

typedef struct {
    PyObject_HEAD
    PyThread_type_lock rlock_lock;
    unsigned long rlock_owner;
    unsigned long rlock_count;
    PyObject *in_weakreflist;
} RawRLockObject;

static PyTypeObject *S_lock_type, *S_rlock_type;  /* set when the layout matched */

/* 1 taken, 0 not, -1 error */
static int
try_acquire(PyObject *block)
{
    if (Py_IS_TYPE(block, S_lock_type)) {
        RawLockObject *o = (RawLockObject *)block;
        if (PyThread_acquire_lock_timed(o->lock_lock, 0, 0) != PY_LOCK_ACQUIRED)
            return 0;
        o->locked = 1;
        return 1;
    }
    if (Py_IS_TYPE(block, S_rlock_type)) {
        RawRLockObject *o = (RawRLockObject *)block;
        unsigned long tid = PyThread_get_thread_ident();
        if (o->rlock_count > 0 && o->rlock_owner == tid) {
            if (o->rlock_count + 1 == 0)
                return call_block_bool(block, 0, s_acquire, s_args_false);  /* raises OverflowError */
            o->rlock_count++;
            return 1;
        }
        if (PyThread_acquire_lock_timed(o->rlock_lock, 0, 0) != PY_LOCK_ACQUIRED)
            return 0;
        o->rlock_owner = tid;
        o->rlock_count = 1;
        return 1;
    }
    return call_block_bool(block, 0, s_acquire, s_args_false);
}

static int
is_owned(PyObject *block)
{
    if (Py_IS_TYPE(block, S_rlock_type)) {
        RawRLockObject *o = (RawRLockObject *)block;
        return o->rlock_count > 0 && o->rlock_owner == PyThread_get_thread_ident();
    }
    return call_block_bool(block, 2, s_is_owned, empty_tuple);
}

static int
block_release(PyObject *block)
{
    if (Py_IS_TYPE(block, S_lock_type) && ((RawLockObject *)block)->locked) {
        RawLockObject *o = (RawLockObject *)block;
        o->locked = 0;
        PyThread_release_lock(o->lock_lock);
        return 0;
    }
    if (Py_IS_TYPE(block, S_rlock_type)) {
        RawRLockObject *o = (RawRLockObject *)block;
        if (o->rlock_count > 0 && o->rlock_owner == PyThread_get_thread_ident()) {
            if (--o->rlock_count == 0) {
                o->rlock_owner = 0;
                PyThread_release_lock(o->rlock_lock);
            }
            return 0;
        }
    }
    /* not a layout we know, or a release the method refuses with its own error */
    PyObject *r = call_block(block, 1, s_release, empty_tuple);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

#define TRY_ACQUIRE(self) try_acquire((self)->block)
#define IS_OWNED(self) is_owned((self)->block)

/* Does ``obj.<name>()`` give ``expect``?  -1 on error */
static int
method_is(PyObject *obj, const char *name, PyObject *expect)
{
    PyObject *r = PyObject_CallMethod(obj, name, NULL);
    if (r == NULL)
        return -1;
    int same = r == expect;
    Py_DECREF(r);
    return same;
}

/* 1 when _thread's lock objects have the layouts above (checked by using them both ways) */
static int
probe_lock(PyObject *lk)
{
    if (Py_TYPE(lk)->tp_basicsize != sizeof(RawLockObject))
        return 0;
    RawLockObject *o = (RawLockObject *)lk;
    if (o->locked != 0 || o->lock_lock == NULL || method_is(lk, "acquire", Py_True) != 1 || o->locked != 1 ||
            PyThread_acquire_lock_timed(o->lock_lock, 0, 0) == PY_LOCK_ACQUIRED || method_is(lk, "release", Py_None) != 1 ||
            o->locked != 0)
        return 0;
    if (PyThread_acquire_lock_timed(o->lock_lock, 0, 0) != PY_LOCK_ACQUIRED)
        return 0;
    o->locked = 1;  /* taken directly: the methods must see it */
    return method_is(lk, "locked", Py_True) == 1 && method_is(lk, "release", Py_None) == 1 &&
        method_is(lk, "locked", Py_False) == 1;
}

static int
probe_rlock(PyObject *rl)
{
    if (Py_TYPE(rl)->tp_basicsize != sizeof(RawRLockObject))
        return 0;
    RawRLockObject *o = (RawRLockObject *)rl;
    unsigned long tid = PyThread_get_thread_ident();
    if (o->rlock_count != 0 || o->rlock_lock == NULL || method_is(rl, "acquire", Py_True) != 1 ||
            o->rlock_count != 1 || o->rlock_owner != tid || method_is(rl, "acquire", Py_True) != 1 ||
            o->rlock_count != 2 || method_is(rl, "release", Py_None) != 1 || method_is(rl, "release", Py_None) != 1 ||
            o->rlock_count != 0 || o->rlock_owner != 0)
        return 0;
    if (PyThread_acquire_lock_timed(o->rlock_lock, 0, 0) != PY_LOCK_ACQUIRED)
        return 0;
    o->rlock_owner = tid;  /* taken directly: the methods must see it */
    o->rlock_count = 1;
    return method_is(rl, "_is_owned", Py_True) == 1 && method_is(rl, "release", Py_None) == 1 &&
        method_is(rl, "_is_owned", Py_False) == 1;
}

static int
probe_layouts(void)
{
    PyObject *thread = PyImport_ImportModule("_thread");
    if (thread == NULL)
        return -1;
    PyObject *lk = PyObject_CallMethod(thread, "allocate_lock", NULL);
    PyObject *rl = PyObject_CallMethod(thread, "RLock", NULL);
    Py_DECREF(thread);
    int ok = 0;
    if (lk != NULL && rl != NULL) {
        if (probe_lock(lk) == 1)
            S_lock_type = (PyTypeObject *)Py_NewRef(Py_TYPE(lk));
        if (probe_rlock(rl) == 1)
            S_rlock_type = (PyTypeObject *)Py_NewRef(Py_TYPE(rl));
        PyErr_Clear();  /* a probe that raised: that layout is not used */
        ok = 1;
    }
    Py_XDECREF(lk);
    Py_XDECREF(rl);
    return ok ? 0 : -1;
}

/* --- LockBase ------------------------------------------------------------------ */
typedef struct {
    PyObject_HEAD
    PyObject *block;
    PyObject *node;      /* class node id (int); -1 when not instrumented */
    Py_ssize_t nid;      /* node as a C integer */
    PyObject *ld_id;
    PyObject *entry;     /* the HeldLock this lock last pushed on the fast path */
    PyObject *born;      /* (code, thread id) of the __init__ that created it, while it may be private */
    char reentrant;
    PyObject *weakreflist;
} LockBase;

static int
instrumented(LockBase *self)
{
    /* a subinterpreter's locks are plain locks: the bound state is the main runtime's */
    return S_active && self->nid >= 0 && S_interp == PyInterpreterState_Get();
}

/* validator.seq += 1; returns the new value (new reference) */
static PyObject *S_seq_obj;  /* the value this C core last stored (held: compared by identity)... */
static long long S_seq_val;  /* ...and its value, read back without a conversion */

static PyObject *
next_seq(void)
{
    PyObject *seq = SLOT(S_validator, V_seq);
    long long v = S_seq_val;
    if (seq != S_seq_obj) {  /* the Python side counted since */
        int overflow;
        v = seq != NULL && PyLong_Check(seq) ? PyLong_AsLongLongAndOverflow(seq, &overflow) : -1;
        if (v == -1) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "the validator's seq is not a counter");
            return NULL;
        }
    }
    PyObject *n = PyLong_FromLongLong(v + 1);
    if (n != NULL) {
        set_slot(S_validator, V_seq, Py_NewRef(n));
        Py_XSETREF(S_seq_obj, Py_NewRef(n));
        S_seq_val = v + 1;
    }
    return n;
}

/* Is the chain the calling thread makes by taking this lock now in the chain cache?  1 yes
   (*ts_out: its state, *key_out: the chain key), 0 no or not decidable here, -1 error. */
static int
cached_chain(LockBase *self, PyObject **ts_out, int64_t *key_out)
{
    if (self->born != NULL && self->born != Py_None)
        return 0;  /* made in an __init__ that may still run: the slow path decides if it is private */
    PyObject *ts = current_ts();
    if (ts == NULL)
        return PyErr_Occurred() ? -1 : 0;
    if (!is_zero(SLOT(ts, T_ctx)))
        return 0;
    Py_ssize_t nid = self->nid;
    if (nid >= PyList_GET_SIZE(S_nodes))
        return 0;
    PyObject *usage = SLOT(PyList_GET_ITEM(S_nodes, nid), N_usage);
    if (usage == NULL || !PyLong_Check(usage))
        return 0;
    long u = PyLong_AsLong(usage);
    if ((u & S_usage_needed) != S_usage_needed)
        return PyErr_Occurred() ? -1 : 0;
    PyObject *held = SLOT(ts, T_held);
    if (held == NULL || !PyList_CheckExact(held))
        return 0;
    Py_ssize_t n = PyList_GET_SIZE(held);
    int64_t prev = -1;
    if (n) {
        PyObject *top = PyList_GET_ITEM(held, n - 1);
        if (!Py_IS_TYPE(top, (PyTypeObject *)S_held_type) || !is_zero(SLOT(top, H_ctx)))
            return 0;
        PyObject *k = SLOT(top, H_chain_key);
        if (k == NULL || !PyLong_Check(k))
            return 0;
        int overflow;
        prev = PyLong_AsLongLongAndOverflow(k, &overflow);
        if (overflow || (prev == -1 && PyErr_Occurred()))
            return PyErr_Occurred() ? -1 : 0;
    }
    if (chain_key(prev, (int64_t)nid << 2, key_out) < 0)
        return -1;
    *ts_out = ts;
    return cs_contains(S_chains, *key_out);
}

/* The chain-cache hit: 1 pushed, 0 take the slow path, -1 error (nothing changed). */
static int
fast_acquire(LockBase *self, PyFrameObject *frame)
{
    if (frame == NULL || !S_fast)
        return 0;
    PyObject *ts;
    int64_t key;
    int cached = cached_chain(self, &ts, &key);
    if (cached != 1)
        return cached;
    PyObject *held = SLOT(ts, T_held);
    Py_ssize_t n = PyList_GET_SIZE(held);

    /* the call site: the entry's own tuple when the lock is taken where it was last time */
    PyCodeObject *code = PyFrame_GetCode(frame);  /* new reference */
    int lasti = PyFrame_GetLasti(frame);
    PyObject *entry = self->entry;
    int ours = entry != NULL && Py_IS_TYPE(entry, (PyTypeObject *)S_held_type);
    PyObject *site = NULL;
    if (ours) {
        PyObject *old = SLOT(entry, H_site);
        if (old != NULL && PyTuple_CheckExact(old) && PyTuple_GET_SIZE(old) == 2 &&
                PyTuple_GET_ITEM(old, 0) == (PyObject *)code && PyLong_AsLong(PyTuple_GET_ITEM(old, 1)) == lasti)
            site = Py_NewRef(old);  /* a site the fast path took before: not a wrapper */
    }
    if (site == NULL) {
        PyObject *plain = PyDict_GetItemWithError(S_wrapper_files, code->co_filename);
        if (plain != Py_False) {  /* a file not seen yet, or a stdlib wrapper's: slow path */
            Py_DECREF(code);
            return PyErr_Occurred() ? -1 : 0;
        }
        PyObject *li = PyLong_FromLong(lasti);
        site = li != NULL ? PyTuple_Pack(2, (PyObject *)code, li) : NULL;
        Py_XDECREF(li);
    }
    Py_DECREF(code);
    if (site == NULL)
        return -1;
    PyObject *seq = next_seq();
    if (seq == NULL) {
        Py_DECREF(site);
        return -1;
    }
    if (ours && SLOT(entry, H_owner) == ts && is_zero(SLOT(entry, H_refs))) {
        /* this thread's previous entry for the lock, off the stack: reuse it */
        Py_INCREF(entry);
        set_slot(entry, H_site, site);
        set_slot(entry, H_seq, seq);
        if (SLOT(entry, H_node) != self->node)
            set_slot(entry, H_node, Py_NewRef(self->node));
        if (SLOT(entry, H_lock) != (PyObject *)self)  /* weak while off the stack (fast_release) */
            set_slot(entry, H_lock, Py_NewRef((PyObject *)self));
        set_slot(entry, H_refs, PyLong_FromLong(1));
    }
    else {
        entry = PyObject_CallFunction(S_held_type, "OOiOiOOiO", (PyObject *)self, self->node, 0, Py_False, 0,
                                      site, Py_None, 0, seq);
        Py_DECREF(site);
        Py_DECREF(seq);
        if (entry == NULL)
            return -1;
        set_slot(entry, H_owner, Py_NewRef(ts));
        Py_XSETREF(self->entry, Py_NewRef(entry));
    }
    PyObject *old_key = SLOT(entry, H_chain_key);
    int overflow = 0;
    if (old_key == NULL || !PyLong_CheckExact(old_key) || PyLong_AsLongLongAndOverflow(old_key, &overflow) != key ||
            overflow) {
        PyErr_Clear();
        PyObject *k = PyLong_FromLongLong(key);
        if (k == NULL) {
            Py_DECREF(entry);
            return -1;
        }
        set_slot(entry, H_chain_key, k);
    }
    int rc = PyList_Append(held, entry);
    if (rc == 0) {
        PyObject *last = SLOT(ts, T_last_acq);
        /* the entry is mostly there already (a loop): a look-up is cheaper than a store */
        if (last != NULL && PyDict_GetItemWithError(last, self->node) != entry &&
                (PyErr_Occurred() || PyDict_SetItem(last, self->node, entry) < 0)) {
            rc = -1;
            PyObject *t, *v, *tb;
            PyErr_Fetch(&t, &v, &tb);
            if (PyList_SetSlice(held, n, n + 1, NULL) < 0)  /* not pushed after all */
                PyErr_Clear();
            PyErr_Restore(t, v, tb);
        }
    }
    if (rc < 0)
        set_slot(entry, H_refs, PyLong_FromLong(0));
    Py_DECREF(entry);
    return rc < 0 ? -1 : 1;
}

/* The matching pop: 1 popped, 0 take the slow path. */
static int
fast_release(LockBase *self)
{
    PyObject *h = self->entry;
    if (!S_fast || h == NULL || !Py_IS_TYPE(h, (PyTypeObject *)S_held_type))
        return 0;
    PyObject *refs = SLOT(h, H_refs), *ts = SLOT(h, H_owner);
    if (refs == NULL || is_zero(refs) || ts == NULL || !Py_IS_TYPE(ts, (PyTypeObject *)S_ts_type))
        return 0;
    if (ts != current_ts()) {  /* not the caller's (or not known yet: then by its ident) */
        PyObject *tid = SLOT(ts, T_ident);
        if (PyErr_Occurred() || tid == NULL || PyLong_AsUnsignedLong(tid) != PyThread_get_thread_ident()) {
            PyErr_Clear();
            return 0;
        }
    }
    PyObject *held = SLOT(ts, T_held);
    if (held == NULL || !PyList_CheckExact(held))
        return 0;
    Py_ssize_t n = PyList_GET_SIZE(held);
    if (!n || PyList_GET_ITEM(held, n - 1) != h)
        return 0;
    /* off the stack, the entry is still the thread's latest acquisition of the class (last_acq):
       it keeps the lock weakly, so that a lock nobody uses any more dies (engine.task.weak) */
    PyObject *ref = PyWeakref_NewRef((PyObject *)self, NULL);
    if (ref == NULL)
        return 0;  /* (before anything changed: the slow path pops it) */
    set_slot(h, H_refs, PyLong_FromLong(0));
    set_slot(h, H_lock, ref);
    Py_SET_SIZE(held, n - 1);  /* pop: the entry stays alive through self->entry */
    Py_DECREF(h);
    return 1;
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
    if (block_release(self->block) < 0)
        PyErr_Clear();
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
    if (r == NULL)
        return give_back(self);
    Py_DECREF(r);
    Py_RETURN_TRUE;
}

static PyObject *call_slow_acquire(LockBase *self, PyObject *frame, PyObject *kw, PyObject *value);

/* A contended blocking acquisition needs Python only for what a blocked thread must leave
   behind: its wait for the hang watchdog, the release it waits for in a hand-off class, a
   self-wait (a Lock its own thread holds), or a chain to validate before blocking.  None of
   these: block, then push.  1 taken and pushed, 0 take the Python path, -1 error (not taken). */
static int
contended_fast(LockBase *self, PyFrameObject *frame)
{
    if (!S_fast || frame == NULL)
        return 0;
    PyObject *wd = PyObject_GetAttr(S_watchdog, s_current);
    if (wd == NULL)
        return -1;
    Py_DECREF(wd);
    if (wd != Py_None)
        return 0;
    int handoff = PySet_Contains(S_handoff, self->node);
    if (handoff != 0)
        return handoff < 0 ? -1 : 0;
    PyObject *ts;
    int64_t key;
    int cached = cached_chain(self, &ts, &key);
    if (cached != 1)
        return cached;
    PyObject *held = SLOT(ts, T_held);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(held); i++) {
        PyObject *h = PyList_GET_ITEM(held, i);
        if (!Py_IS_TYPE(h, (PyTypeObject *)S_held_type) || SLOT(h, H_lock) == (PyObject *)self)
            return 0;
    }
    PyObject *res = call_block(self->block, 0, s_acquire, empty_tuple);  /* blocks without the GIL */
    if (res == NULL)  /* interrupted: not taken */
        return -1;
    int got = PyObject_IsTrue(res);
    Py_DECREF(res);
    if (got != 1) {
        if (got == 0)
            PyErr_SetString(PyExc_RuntimeError, "a blocking acquisition returned False");
        return -1;
    }
    int r = fast_acquire(self, frame);  /* checked again: the state may have changed meanwhile */
    if (r == 0) {
        res = call_slow_acquire(self, (PyObject *)frame, NULL, NULL);
        r = res == NULL ? -1 : 1;
        Py_XDECREF(res);
    }
    if (r < 0)
        give_back(self);
    return r;
}

/* the Python runtime's acquire(lock, frame, **{kw: value}) */
static PyObject *
call_slow_acquire(LockBase *self, PyObject *frame, PyObject *kw, PyObject *value)
{
    PyObject *args[3] = {(PyObject *)self, frame, value};
    PyObject *names = kw == NULL ? NULL : PyTuple_Pack(1, kw);
    if (kw != NULL && names == NULL)
        return NULL;
    PyObject *r = PyObject_Vectorcall(S_slow_acquire, args, 2, names);
    Py_XDECREF(names);
    return r;
}

static PyObject *
do_acquire(LockBase *self, int blocking, double timeout)
{
    if (self->block == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "lock not initialised");
        return NULL;
    }
    int on = instrumented(self);
    if (on && self->reentrant) {
        int owned = IS_OWNED(self);
        if (owned < 0)
            return NULL;
        if (owned) {  /* re-entry by the owner: a counter bump in the underlying RLock, no lock event */
            int got = TRY_ACQUIRE(self);
            return got < 0 ? NULL : PyBool_FromLong(got);
        }
    }
    if (!on) {
        if (blocking && timeout == -1)
            return call_block(self->block, 0, s_acquire, empty_tuple);
        return PyObject_CallMethod(self->block, "acquire", "id", blocking, timeout);
    }
    PyFrameObject *frame = PyEval_GetFrame();  /* borrowed: the caller's frame */
    PyObject *f = frame ? (PyObject *)frame : Py_None;
    if (blocking && timeout == -1) {
        /* A lock goes on the held stack only once it is owned: try it without blocking (a
           contended acquisition validates, blocks, then pushes: contended_acquire).  A chain of
           classes not seen before is validated before the lock is taken, as the kernel does, so
           lockdep's own slow path (reports, allocations, gc callbacks) never runs under it. */
        for (int validated = 0;; validated = 1) {
            int got = TRY_ACQUIRE(self);
            if (got < 0)
                return NULL;
            if (!got) {
                int r = contended_fast(self, frame);
                if (r != 0)
                    return r < 0 ? NULL : Py_NewRef(Py_True);
                return contended_acquire(self, frame);
            }
            int r = validated ? 0 : fast_acquire(self, frame);
            if (r == 1)
                Py_RETURN_TRUE;
            if (r == 0 && !validated) {
                if (block_release(self->block) < 0)
                    return NULL;
                PyObject *res = call_slow_acquire(self, f, s_push, Py_False);
                if (res == NULL)
                    return NULL;
                Py_DECREF(res);
                continue;
            }
            PyObject *res = r < 0 ? NULL : call_slow_acquire(self, f, NULL, NULL);
            if (res == NULL)  /* interrupted in the bookkeeping: the caller never got the lock */
                return give_back(self);
            Py_DECREF(res);
            Py_RETURN_TRUE;
        }
    }
    PyObject *res = PyObject_CallMethod(self->block, "acquire", "id", blocking, timeout);
    if (res == NULL || !PyObject_IsTrue(res))
        return res;
    PyObject *r = call_slow_acquire(self, f, s_trylock, Py_True);
    if (r == NULL) {
        Py_DECREF(res);
        return give_back(self);
    }
    Py_DECREF(r);
    return res;
}

static PyObject *
LockBase_acquire(LockBase *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs == 0 && kwnames == NULL)
        return do_acquire(self, 1, -1);
    static const char *const kwlist[] = {"blocking", "timeout", NULL};
    PyObject *targs = PyTuple_New(nargs);
    if (targs == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < nargs; i++)
        PyTuple_SET_ITEM(targs, i, Py_NewRef(args[i]));
    PyObject *kwds = NULL;
    if (kwnames != NULL) {
        kwds = PyDict_New();
        for (Py_ssize_t i = 0; kwds != NULL && i < PyTuple_GET_SIZE(kwnames); i++)
            if (PyDict_SetItem(kwds, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0)
                Py_CLEAR(kwds);
        if (kwds == NULL) {
            Py_DECREF(targs);
            return NULL;
        }
    }
    int blocking = 1;
    double timeout = -1;
    int ok = PyArg_ParseTupleAndKeywords(targs, kwds, "|pd:acquire", (char **)kwlist, &blocking, &timeout);
    Py_DECREF(targs);
    Py_XDECREF(kwds);
    return ok ? do_acquire(self, blocking, timeout) : NULL;
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
    if (block_release(self->block) < 0)
        return NULL;
    if (!instrumented(self))
        Py_RETURN_NONE;
    if (self->reentrant) {
        int owned = IS_OWNED(self);
        if (owned < 0)
            return NULL;
        if (owned)  /* not the final release */
            Py_RETURN_NONE;
    }
    if (fast_release(self))
        Py_RETURN_NONE;
    return slow_release(self);
}

static PyObject *
LockBase_exit(LockBase *self, PyObject *const *args, Py_ssize_t nargs)
{
    return LockBase_release(self, NULL);
}

static PyObject *
LockBase_get_node(LockBase *self, void *closure)
{
    if (self->node == NULL) {
        PyErr_SetString(PyExc_AttributeError, "_ld_node");
        return NULL;
    }
    return Py_NewRef(self->node);
}

static int
LockBase_set_node(LockBase *self, PyObject *value, void *closure)
{
    Py_ssize_t nid = -1;
    if (value != NULL && PyLong_Check(value)) {
        nid = PyLong_AsSsize_t(value);
        if (nid == -1 && PyErr_Occurred())
            return -1;
    }
    Py_XINCREF(value);
    Py_XSETREF(self->node, value);
    self->nid = nid < 0 ? -1 : nid;
    return 0;
}

static int
LockBase_traverse(LockBase *self, visitproc visit, void *arg)
{
    Py_VISIT(self->block);
    Py_VISIT(self->node);
    Py_VISIT(self->ld_id);
    Py_VISIT(self->entry);
    Py_VISIT(self->born);
    return 0;
}

static int
LockBase_clear(LockBase *self)
{
    Py_CLEAR(self->block);
    Py_CLEAR(self->node);
    self->nid = -1;
    Py_CLEAR(self->ld_id);
    Py_CLEAR(self->entry);
    Py_CLEAR(self->born);
    return 0;
}

static PyObject *
LockBase_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    LockBase *self = (LockBase *)PyType_GenericNew(type, args, kwds);
    if (self != NULL)
        self->nid = -1;
    return (PyObject *)self;
}

/* Lock() of the C core: the whole construction in C when the creation line's class is known
 * (runtime._direct), so it runs no bytecode and no other thread can run in the middle of it, as
 * with CPython's own Lock() (code that creates a lock lazily without a guard relies on that:
 * SQLAlchemy's exec-once mutex).  A creation line not seen before asks runtime.class_for(). */
static PyObject *S_allocate_lock, *s_direct, *s_class_for, *s_mutex;

static int
LockBase_init(LockBase *self, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds != NULL && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "Lock() takes no arguments");
        return -1;
    }
    PyObject *block = PyObject_CallNoArgs(S_allocate_lock);
    if (block == NULL)
        return -1;
    Py_XSETREF(self->block, block);
    Py_XSETREF(self->ld_id, Py_NewRef(Py_None));
    Py_CLEAR(self->entry);
    Py_CLEAR(self->born);
    self->reentrant = 0;
    PyObject *node = NULL;
    PyFrameObject *frame = PyEval_GetFrame();  /* borrowed: the frame that calls Lock() */
    if (S_active && S_runtime != NULL && S_interp == PyInterpreterState_Get() && frame != NULL) {
        PyObject *direct = PyObject_GetAttr(S_runtime, s_direct);
        if (direct == NULL)
            return -1;
        PyCodeObject *code = PyFrame_GetCode(frame);
        if (PyUnicode_Check(code->co_name) && PyUnicode_CompareWithASCIIString(code->co_name, "__init__") == 0) {
            PyObject *ident = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
            PyObject *born = ident == NULL ? NULL : PyTuple_Pack(2, (PyObject *)code, ident);
            Py_XDECREF(ident);
            if (born == NULL) {
                Py_DECREF(code);
                return -1;
            }
            Py_XSETREF(self->born, born);
        }
        PyObject *lasti = PyLong_FromLong(PyFrame_GetLasti(frame));
        PyObject *key = lasti == NULL ? NULL : PyTuple_Pack(3, s_mutex, (PyObject *)code, lasti);
        Py_DECREF(code);
        Py_XDECREF(lasti);
        if (key == NULL) {
            Py_DECREF(direct);
            return -1;
        }
        node = PyDict_Check(direct) ? PyDict_GetItemWithError(direct, key) : NULL;  /* borrowed */
        Py_XINCREF(node);
        Py_DECREF(key);
        Py_DECREF(direct);
        if (node == NULL) {
            if (PyErr_Occurred())
                return -1;
            node = PyObject_CallMethodObjArgs(S_runtime, s_class_for, (PyObject *)frame, s_mutex, NULL);
            if (node == NULL)
                return -1;
        }
    }
    else
        node = PyLong_FromLong(-1);
    if (node == NULL)
        return -1;
    int r = LockBase_set_node(self, node, NULL);
    Py_DECREF(node);
    return r;
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
    {"acquire", (PyCFunction)(void (*)(void))LockBase_acquire, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"release", (PyCFunction)LockBase_release, METH_NOARGS, NULL},
    {"__enter__", (PyCFunction)LockBase_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))LockBase_exit, METH_FASTCALL, NULL},
    {NULL},
};

static PyMemberDef LockBase_members[] = {
    {"_block", T_OBJECT, offsetof(LockBase, block), 0, NULL},
    {"_ld_id", T_OBJECT, offsetof(LockBase, ld_id), 0, NULL},
    {"_ld_entry", T_OBJECT, offsetof(LockBase, entry), 0, NULL},
    {"_ld_born", T_OBJECT, offsetof(LockBase, born), 0, NULL},
    {"_ld_reentrant", T_BOOL, offsetof(LockBase, reentrant), 0, NULL},
    {NULL},
};

static PyGetSetDef LockBase_getset[] = {
    {"_ld_node", (getter)LockBase_get_node, (setter)LockBase_set_node, "class node id; -1: not instrumented", NULL},
    {NULL},
};

static PyTypeObject LockBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lockdep.runtime._speedups.LockBase",
    .tp_basicsize = sizeof(LockBase),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = LockBase_new,
    .tp_init = (initproc)LockBase_init,
    .tp_dealloc = (destructor)LockBase_dealloc,
    .tp_traverse = (traverseproc)LockBase_traverse,
    .tp_clear = (inquiry)LockBase_clear,
    .tp_methods = LockBase_methods,
    .tp_members = LockBase_members,
    .tp_getset = LockBase_getset,
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
    S_gen++;
    Py_CLEAR(S_seq_obj);
    Py_CLEAR(S_runtime);
    Py_CLEAR(S_validator);
    Py_CLEAR(S_threads);
    Py_CLEAR(S_chains);
    Py_CLEAR(S_nodes);
    Py_CLEAR(S_wrapper_files);
    Py_CLEAR(S_handoff);
    Py_CLEAR(S_watchdog);
    Py_CLEAR(S_held_type);
    Py_CLEAR(S_ts_type);
    Py_CLEAR(S_slow_acquire);
    Py_CLEAR(S_slow_release);
    Py_CLEAR(S_contended);
    Py_CLEAR(S_contended_done);
}

static PyObject *
bind(PyObject *mod, PyObject *args)
{
    PyObject *runtime, *validator, *threads, *chains, *nodes, *wrapper_files, *held_type, *ts_type, *node_type,
        *handoff, *watchdog;
    long usage_needed;
    int fast;
    if (!PyArg_ParseTuple(args, "OOO!O!O!O!OOOlpO!O:bind", &runtime, &validator, &PyDict_Type, &threads,
                          &ChainSetType, &chains, &PyList_Type, &nodes, &PyDict_Type, &wrapper_files, &held_type,
                          &ts_type, &node_type, &usage_needed, &fast, &PySet_Type, &handoff, &watchdog))
        return NULL;
    if (S_active && S_interp != PyInterpreterState_Get()) {
        PyErr_SetString(PyExc_RuntimeError, "the C core is bound to another interpreter");
        return NULL;
    }
    static const char *hnames[] = {"lock", "node", "ctx", "chain_key", "refs", "site", "seq", "owner"};
    Py_ssize_t *hoffs[] = {&H_lock, &H_node, &H_ctx, &H_chain_key, &H_refs, &H_site, &H_seq, &H_owner};
    for (int i = 0; i < 8; i++)
        if (member_offset(held_type, hnames[i], hoffs[i]) < 0)
            return NULL;
    if (member_offset(ts_type, "held", &T_held) < 0 || member_offset(ts_type, "last_acq", &T_last_acq) < 0 ||
            member_offset(ts_type, "ctx", &T_ctx) < 0 || member_offset(ts_type, "ident", &T_ident) < 0 ||
            member_offset(node_type, "usage", &N_usage) < 0)
        return NULL;
    if (member_offset((PyObject *)Py_TYPE(validator), "seq", &V_seq) < 0)  /* a slot: see state.LiveValidator */
        return NULL;
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
    clear_bound();
    S_slow_acquire = slow_acquire;
    S_slow_release = slow_release;
    S_contended = contended;
    S_contended_done = contended_done;
    S_validator = Py_NewRef(validator);
    S_runtime = Py_NewRef(runtime);
    S_threads = Py_NewRef(threads);
    S_chains = (ChainSet *)Py_NewRef(chains);
    S_nodes = Py_NewRef(nodes);
    S_wrapper_files = Py_NewRef(wrapper_files);
    S_handoff = Py_NewRef(handoff);
    S_watchdog = Py_NewRef(watchdog);
    S_held_type = Py_NewRef(held_type);
    S_ts_type = Py_NewRef(ts_type);
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

/* threading.Lock before 3.13, where it is a function (_thread.allocate_lock) and the type of
 * what it returns cannot be instantiated: builds a `type` (primitives.Lock, this function's self:
 * each interpreter has its own) in C, so the frame that calls it is the creating line. */
static PyObject *
allocate_lock(PyObject *type, PyObject *unused)
{
    PyObject *self = LockBase_new((PyTypeObject *)type, empty_tuple, NULL);
    if (self != NULL && LockBase_init((LockBase *)self, empty_tuple, NULL) < 0)
        Py_CLEAR(self);
    return self;
}

static PyMethodDef allocate_lock_def = {
    "allocate_lock", allocate_lock, METH_NOARGS, "allocate_lock() -> lock object\n\nCreate a new instrumented lock."};

static PyObject *
lock_factory(PyObject *mod, PyObject *type)
{
    if (!PyType_Check(type) || !PyType_IsSubtype((PyTypeObject *)type, &LockBaseType)) {
        PyErr_SetString(PyExc_TypeError, "lock_factory() takes a subclass of LockBase");
        return NULL;
    }
    PyObject *module = PyObject_GetAttrString(type, "__module__");
    if (module == NULL)
        return NULL;
    PyObject *f = PyCFunction_NewEx(&allocate_lock_def, type, module);
    Py_DECREF(module);
    return f;
}

static PyMethodDef module_methods[] = {
    {"lock_factory", lock_factory, METH_O, "A function that makes instances of the given LockBase subclass."},
    {"bind", bind, METH_VARARGS, "Attach the fast path to a runtime (its validator's shared maps)."},
    {"unbind", unbind, METH_NOARGS, "Detach: locks behave as plain locks."},
    {"threads_changed", threads_changed, METH_NOARGS,
     "The runtime's thread map changed: forget the per-thread states cached in C."},
    {NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "lockdep.runtime._speedups", "C fast path of lockdep's Python runtime.", -1,
    module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&LockBaseType) < 0 || PyType_Ready(&ChainSetType) < 0)
        return NULL;
    int ok = check_tuple_hash();
    if (ok < 0)
        return NULL;
    S_tuple_hash_ok = ok;
    if (probe_layouts() < 0)
        return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    s_acquire = PyUnicode_InternFromString("acquire");
    s_release = PyUnicode_InternFromString("release");
    s_is_owned = PyUnicode_InternFromString("_is_owned");
    s_current = PyUnicode_InternFromString("current");
    s_seq = PyUnicode_InternFromString("seq");
    s_trylock = PyUnicode_InternFromString("trylock");
    s_push = PyUnicode_InternFromString("push");
    s_args_false = PyTuple_Pack(1, Py_False);
    S_zero = PyLong_FromLong(0);
    S_one = PyLong_FromLong(1);
    empty_tuple = PyTuple_New(0);
    s_direct = PyUnicode_InternFromString("_direct");
    s_class_for = PyUnicode_InternFromString("class_for");
    s_mutex = PyUnicode_InternFromString("mutex");
    PyObject *thread_mod = PyImport_ImportModule("_thread");
    S_allocate_lock = thread_mod == NULL ? NULL : PyObject_GetAttrString(thread_mod, "allocate_lock");
    Py_XDECREF(thread_mod);
    if (s_direct == NULL || s_class_for == NULL || s_mutex == NULL || S_allocate_lock == NULL ||
            s_acquire == NULL || s_release == NULL || s_is_owned == NULL || s_current == NULL || s_seq == NULL || s_trylock == NULL ||
            s_push == NULL || s_args_false == NULL || S_zero == NULL || S_one == NULL || empty_tuple == NULL ||
            PyModule_AddObjectRef(m, "LockBase", (PyObject *)&LockBaseType) < 0 ||
            PyModule_AddObjectRef(m, "ChainSet", (PyObject *)&ChainSetType) < 0 ||
            PyModule_AddIntConstant(m, "KEYS_IN_C", ok) < 0 ||
            PyModule_AddIntConstant(m, "DIRECT_LOCK", S_lock_type != NULL) < 0 ||
            PyModule_AddIntConstant(m, "DIRECT_RLOCK", S_rlock_type != NULL) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
