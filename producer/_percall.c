/* The byte work of an audited call, once per event on the agent's thread (see percall.py).
 *
 * sha256_hex(data): the SHA-256 hex digest of a bytes-like object, through OpenSSL's EVP
 *   API with the digest fetched once. hashlib builds a Python hash object per call and, on
 *   OpenSSL 3, sets the digest up again each time: about 0.2 us of every event_hash and
 *   keyed hash here. The libcrypto used is the one hashlib loaded (dlopen with
 *   RTLD_NOLOAD), so nothing is linked at build time and no OpenSSL headers are needed;
 *   where none is found the module does not import and percall.py uses hashlib. Like
 *   hashlib, it releases the GIL while hashing 2 KiB or more.
 *
 * put_record(buffer, pos, prefix, key_crc, value, sha256_hex): one hashed spool record
 *   (segment.py's format: <u32 length | HASHED><u32 check><prefix><value>, the check being
 *   the first 4 bytes of the value's SHA-256 XOR key_crc) written at ``pos`` of a writable
 *   buffer (the active segment's mapping); returns the position after it. One call instead
 *   of a struct pack, a concatenation and two slice assignments.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;
static const EVP_MD *sha256_md;
static EVP_MD_CTX *(*ctx_new)(void);
static void (*ctx_free)(EVP_MD_CTX *);
static int (*digest_init)(EVP_MD_CTX *, const EVP_MD *, void *);
static int (*digest_update)(EVP_MD_CTX *, const void *, size_t);
static int (*digest_final)(EVP_MD_CTX *, unsigned char *, unsigned int *);

static int load_crypto(void) {
    static const char *names[] = {"libcrypto.so.3", "libcrypto.so.1.1", NULL};
    void *lib = NULL;
    for (int i = 0; names[i] != NULL && lib == NULL; i++) {
        lib = dlopen(names[i], RTLD_NOW | RTLD_NOLOAD); /* only one already loaded */
    }
    if (lib == NULL) return 0;
    ctx_new = (EVP_MD_CTX * (*)(void)) dlsym(lib, "EVP_MD_CTX_new");
    ctx_free = (void (*)(EVP_MD_CTX *))dlsym(lib, "EVP_MD_CTX_free");
    digest_init = (int (*)(EVP_MD_CTX *, const EVP_MD *, void *))dlsym(lib, "EVP_DigestInit_ex");
    digest_update = (int (*)(EVP_MD_CTX *, const void *, size_t))dlsym(lib, "EVP_DigestUpdate");
    digest_final =
        (int (*)(EVP_MD_CTX *, unsigned char *, unsigned int *))dlsym(lib, "EVP_DigestFinal_ex");
    if (!ctx_new || !ctx_free || !digest_init || !digest_update || !digest_final) return 0;
    /* OpenSSL 3: fetched once (an implicit fetch per init is what makes it slow); 1.1: static */
    EVP_MD *(*fetch)(void *, const char *, const char *) =
        (EVP_MD * (*)(void *, const char *, const char *)) dlsym(lib, "EVP_MD_fetch");
    if (fetch != NULL) {
        sha256_md = fetch(NULL, "SHA256", NULL);
    } else {
        const EVP_MD *(*legacy)(void) = (const EVP_MD *(*)(void))dlsym(lib, "EVP_sha256");
        sha256_md = legacy != NULL ? legacy() : NULL;
    }
    return sha256_md != NULL;
}

static int digest(const void *data, size_t n, unsigned char md[32]) {
    unsigned int len = 0;
    EVP_MD_CTX *ctx = ctx_new(); /* per call: thread-safe, about 40 ns */
    int ok = ctx != NULL && digest_init(ctx, sha256_md, NULL) && digest_update(ctx, data, n) &&
             digest_final(ctx, md, &len) && len == 32;
    if (ctx != NULL) ctx_free(ctx);
    return ok;
}

static const char HEX[] = "0123456789abcdef";
#define GIL_MINSIZE 2048 /* bytes; hashlib's HASHLIB_GIL_MINSIZE */

static PyObject *sha256_hex(PyObject *self, PyObject *arg) {
    Py_buffer view;
    unsigned char md[32];
    int ok;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    if (view.len >= GIL_MINSIZE) { /* as hashlib: other threads run while a large one hashes */
        Py_BEGIN_ALLOW_THREADS
        ok = digest(view.buf, (size_t)view.len, md);
        Py_END_ALLOW_THREADS
    } else {
        ok = digest(view.buf, (size_t)view.len, md);
    }
    PyBuffer_Release(&view);
    if (!ok) {
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed");
        return NULL;
    }
    PyObject *out = PyUnicode_New(64, 127);
    if (out == NULL) return NULL;
    Py_UCS1 *p = PyUnicode_1BYTE_DATA(out);
    for (int i = 0; i < 32; i++) {
        p[2 * i] = (Py_UCS1)HEX[md[i] >> 4];
        p[2 * i + 1] = (Py_UCS1)HEX[md[i] & 15];
    }
    return out;
}

static int hex_word(PyObject *text, uint32_t *out) {
    /* the first 8 hex digits of a lowercase or uppercase hex str */
    if (!PyUnicode_Check(text) || PyUnicode_READY(text) < 0 || PyUnicode_KIND(text) != 1 ||
        PyUnicode_GET_LENGTH(text) < 8) {
        return 0;
    }
    const Py_UCS1 *s = PyUnicode_1BYTE_DATA(text);
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return 0;
        v = (v << 4) | d;
    }
    *out = v;
    return 1;
}

#define HASHED 0x80000000u
#define LENGTH 0x7FFFFFFFu

static void put_u32le(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static PyObject *put_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError,
                        "put_record(buffer, pos, prefix, key_crc, value, sha256_hex)");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred()) return NULL;
    unsigned long key_crc = PyLong_AsUnsignedLongMask(args[3]);
    if (key_crc == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    if (!PyBytes_Check(args[2]) || !PyBytes_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "prefix and value must be bytes");
        return NULL;
    }
    uint32_t word;
    if (!hex_word(args[5], &word)) {
        PyErr_SetString(PyExc_ValueError, "sha256_hex must start with 8 hex digits");
        return NULL;
    }
    Py_ssize_t plen = PyBytes_GET_SIZE(args[2]), vlen = PyBytes_GET_SIZE(args[4]);
    Py_ssize_t length = plen + vlen;
    if ((size_t)length > LENGTH) {
        PyErr_SetString(PyExc_ValueError, "record too long");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_WRITABLE) < 0) return NULL;
    if (pos < 0 || pos > view.len || view.len - pos < 8 + length) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "record does not fit the buffer");
        return NULL;
    }
    unsigned char *p = (unsigned char *)view.buf + pos;
    put_u32le(p, (uint32_t)length | HASHED);
    put_u32le(p + 4, word ^ (uint32_t)key_crc);
    memcpy(p + 8, PyBytes_AS_STRING(args[2]), (size_t)plen);
    memcpy(p + 8 + plen, PyBytes_AS_STRING(args[4]), (size_t)vlen);
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(pos + 8 + length);
}

static PyMethodDef methods[] = {
    {"sha256_hex", sha256_hex, METH_O, "The SHA-256 hex digest of a bytes-like object."},
    {"put_record", (PyCFunction)(void (*)(void))put_record, METH_FASTCALL,
     "Write a hashed spool record at pos of a writable buffer; return its end."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_percall", NULL, -1, methods};

PyMODINIT_FUNC PyInit__percall(void) {
    PyObject *hashlib = PyImport_ImportModule("_hashlib"); /* loads the libcrypto to use */
    if (hashlib == NULL) return NULL;
    Py_DECREF(hashlib);
    if (!load_crypto()) {
        PyErr_SetString(PyExc_ImportError, "no OpenSSL libcrypto loaded by hashlib");
        return NULL;
    }
    return PyModule_Create(&module);
}
