/* Canonical JSON -> Avro binary, for the producer's disk mode (see transcode.py).
 *
 * In disk mode the calling thread spools an event's canonical JSON (which the hash chain
 * made anyway) and the publisher's background thread turns it into the Avro record that
 * goes to Kafka. Encoding the event dict there holds the GIL for several microseconds per
 * event, GIL time the agent's own threads then cannot have. This module reads the JSON text
 * directly, with the GIL released, following a program compiled once from the Avro schema
 * (transcode.py builds its description). Its output equals the Python writer's byte for
 * byte (a unit test checks it on varied events); anything it does not expect (a missing
 * field, a value of the wrong kind, a timestamp not in the canonical form, invalid JSON)
 * makes that one item come back as None, and the caller encodes it the slow way.
 *
 * Program description (nested tuples, see transcode.describe):
 *   ("null",) ("boolean",) ("long",) ("double",) ("float",) ("string",) ("ts",)
 *   ("enum", (symbol, ...)) ("record", ((name, node), ...)) ("array", node) ("map", node)
 *   ("opt", node)    -- the union ["null", node]
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CAPSULE "tooltrail.transcode.program"
#define MAX_DEPTH 64
#define MAX_FIELDS 256 /* keys of one JSON object read into a record */

enum {
    K_NULL, K_BOOL, K_LONG, K_DOUBLE, K_FLOAT, K_STRING, K_TS, K_ENUM, K_RECORD, K_ARRAY,
    K_MAP, K_OPT
};

typedef struct Node Node;
struct Node {
    int kind;
    Node *inner;        /* array items, map values, the non-null branch of opt */
    Py_ssize_t n;       /* record fields, enum symbols */
    char **names;       /* field names or symbols (copies) */
    size_t *lens;
    Node **fields;      /* record field programs */
    Py_ssize_t *order;  /* record: field indexes sorted by name (bytewise, as orjson sorts) */
};

static void node_free(Node *node) {
    if (node == NULL) return;
    node_free(node->inner);
    for (Py_ssize_t i = 0; i < node->n; i++) {
        if (node->names) free(node->names[i]);
        if (node->fields) node_free(node->fields[i]);
    }
    free(node->names);
    free(node->lens);
    free(node->fields);
    free(node->order);
    free(node);
}

static int key_cmp(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int copy_name(PyObject *str, char **name, size_t *len) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(str, &n);
    if (s == NULL) return -1;
    *name = malloc((size_t)n + 1);
    if (*name == NULL) { PyErr_NoMemory(); return -1; }
    memcpy(*name, s, (size_t)n + 1);
    *len = (size_t)n;
    return 0;
}

static Node *node_build(PyObject *desc, int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "schema nested too deeply");
        return NULL;
    }
    if (!PyTuple_Check(desc) || PyTuple_GET_SIZE(desc) < 1 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(desc, 0))) {
        PyErr_SetString(PyExc_TypeError, "a program node is a tuple (kind, ...)");
        return NULL;
    }
    const char *kind = PyUnicode_AsUTF8(PyTuple_GET_ITEM(desc, 0));
    if (kind == NULL) return NULL;
    Node *node = calloc(1, sizeof(Node));
    if (node == NULL) { PyErr_NoMemory(); return NULL; }
    static const struct { const char *name; int kind; } scalars[] = {
        {"null", K_NULL}, {"boolean", K_BOOL}, {"long", K_LONG}, {"double", K_DOUBLE},
        {"float", K_FLOAT}, {"string", K_STRING}, {"ts", K_TS},
    };
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
        if (strcmp(kind, scalars[i].name) == 0) {
            node->kind = scalars[i].kind;
            return node;
        }
    }
    PyObject *arg = PyTuple_GET_SIZE(desc) == 2 ? PyTuple_GET_ITEM(desc, 1) : NULL;
    if (arg == NULL) goto bad;
    if (strcmp(kind, "array") == 0 || strcmp(kind, "map") == 0 || strcmp(kind, "opt") == 0) {
        node->kind = kind[0] == 'a' ? K_ARRAY : kind[0] == 'm' ? K_MAP : K_OPT;
        node->inner = node_build(arg, depth + 1);
        if (node->inner == NULL) goto fail;
        return node;
    }
    int record = strcmp(kind, "record") == 0;
    if (!record && strcmp(kind, "enum") != 0) goto bad;
    if (!PyTuple_Check(arg)) goto bad;
    node->kind = record ? K_RECORD : K_ENUM;
    Py_ssize_t n = PyTuple_GET_SIZE(arg);
    node->names = calloc((size_t)n + 1, sizeof(char *));
    node->lens = calloc((size_t)n + 1, sizeof(size_t));
    node->fields = record ? calloc((size_t)n + 1, sizeof(Node *)) : NULL;
    if (node->names == NULL || node->lens == NULL || (record && node->fields == NULL)) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(arg, i);
        PyObject *name = item;
        if (record) {
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) goto bad;
            name = PyTuple_GET_ITEM(item, 0);
        }
        if (!PyUnicode_Check(name)) goto bad;
        node->n = i + 1; /* what node_free must release */
        if (copy_name(name, &node->names[i], &node->lens[i]) < 0) goto fail;
        if (record) {
            node->fields[i] = node_build(PyTuple_GET_ITEM(item, 1), depth + 1);
            if (node->fields[i] == NULL) goto fail;
        }
    }
    node->n = n;
    if (record) {
        if (n > MAX_FIELDS) {
            PyErr_SetString(PyExc_ValueError, "a record with too many fields");
            goto fail;
        }
        node->order = malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
        if (node->order == NULL) { PyErr_NoMemory(); goto fail; }
        for (Py_ssize_t i = 0; i < n; i++) { /* insertion sort: built once */
            Py_ssize_t j = i;
            while (j > 0 && key_cmp(node->names[node->order[j - 1]], node->lens[node->order[j - 1]],
                                    node->names[i], node->lens[i]) > 0) {
                node->order[j] = node->order[j - 1];
                j--;
            }
            node->order[j] = i;
        }
    }
    return node;
bad:
    PyErr_Format(PyExc_TypeError, "malformed program node %R", desc);
fail:
    node_free(node);
    return NULL;
}

/* -- output ----------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} Buf;

static int reserve(Buf *b, size_t extra) {
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < b->len + extra) cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int put(Buf *b, const char *s, size_t n) {
    if (reserve(b, n)) return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int put_byte(Buf *b, unsigned char c) {
    if (reserve(b, 1)) return -1;
    b->p[b->len++] = (char)c;
    return 0;
}

static int put_long(Buf *b, int64_t v) { /* zig-zag, then base-128 varint */
    if (reserve(b, 10)) return -1;
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    unsigned char *p = (unsigned char *)b->p + b->len;
    while (z & ~(uint64_t)0x7F) {
        *p++ = (unsigned char)((z & 0x7F) | 0x80);
        z >>= 7;
    }
    *p++ = (unsigned char)z;
    b->len = (size_t)((char *)p - b->p);
    return 0;
}

/* -- JSON reading ------------------------------------------------------------------------ */

typedef struct {
    const char *p, *end;
} In;

static void ws(In *in) {
    while (in->p < in->end &&
           (*in->p == ' ' || *in->p == '\n' || *in->p == '\r' || *in->p == '\t'))
        in->p++;
}

static int literal(In *in, const char *word, size_t n) {
    if ((size_t)(in->end - in->p) < n || memcmp(in->p, word, n) != 0) return -1;
    in->p += n;
    return 0;
}

/* A string at in->p ('"'): its raw contents (between the quotes) and whether it has
 * escapes; in->p ends past the closing quote. (memchr, not a loop per character: most of a
 * document is string contents, and hashes and JSON texts are long.) */
static int raw_string(In *in, const char **s, size_t *n, int *escaped) {
    if (in->p >= in->end || *in->p != '"') return -1;
    const char *start = in->p + 1, *q = start;
    for (;;) {
        q = memchr(q, '"', (size_t)(in->end - q));
        if (q == NULL) return -1;
        const char *b = q;
        while (b > start && b[-1] == '\\') b--;
        if (((q - b) & 1) == 0) break; /* an even run of backslashes: the closing quote */
        q++;
    }
    *s = start;
    *n = (size_t)(q - start);
    *escaped = memchr(start, '\\', *n) != NULL;
    in->p = q + 1;
    return 0;
}

static int number_char(char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static int put_utf8(Buf *b, unsigned cp) {
    char t[4];
    size_t n;
    if (cp < 0x80) { t[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { t[0] = (char)(0xC0 | (cp >> 6)); t[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12)); t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        t[0] = (char)(0xF0 | (cp >> 18)); t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); t[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    return put(b, t, n);
}

/* The raw contents of a JSON string, unescaped, appended to b as UTF-8. A lone surrogate
 * (which UTF-8 cannot hold, and orjson never writes) is an error. */
static int unescape(Buf *b, const char *s, size_t n) {
    const char *end = s + n;
    while (s < end) {
        const char *q = memchr(s, '\\', (size_t)(end - s));
        if (q == NULL) return put(b, s, (size_t)(end - s));
        if (put(b, s, (size_t)(q - s))) return -1;
        if (q + 1 >= end) return -1;
        char c = q[1];
        s = q + 2;
        char out;
        switch (c) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (end - s < 4 || hex4(s, &cp)) return -1;
            s += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                s += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (put_utf8(b, cp)) return -1;
            continue;
        }
        default:
            return -1;
        }
        if (put_byte(b, (unsigned char)out)) return -1;
    }
    return 0;
}

static int skip_value(In *in, int depth);

static int skip_container(In *in, char close, int depth) {
    in->p++; /* past '{' or '[' */
    ws(in);
    if (in->p < in->end && *in->p == close) { in->p++; return 0; }
    for (;;) {
        if (close == '}') {
            const char *s; size_t n; int e;
            ws(in);
            if (raw_string(in, &s, &n, &e)) return -1;
            ws(in);
            if (in->p >= in->end || *in->p != ':') return -1;
            in->p++;
        }
        if (skip_value(in, depth + 1)) return -1;
        ws(in);
        if (in->p >= in->end) return -1;
        if (*in->p == ',') { in->p++; continue; }
        if (*in->p == close) { in->p++; return 0; }
        return -1;
    }
}

static int skip_value(In *in, int depth) {
    if (depth > MAX_DEPTH) return -1;
    ws(in);
    if (in->p >= in->end) return -1;
    char c = *in->p;
    if (c == '"') { const char *s; size_t n; int e; return raw_string(in, &s, &n, &e); }
    if (c == '{') return skip_container(in, '}', depth);
    if (c == '[') return skip_container(in, ']', depth);
    if (c == 't') return literal(in, "true", 4);
    if (c == 'f') return literal(in, "false", 5);
    if (c == 'n') return literal(in, "null", 4);
    if (c == '-' || (c >= '0' && c <= '9')) {
        in->p++;
        while (in->p < in->end && number_char(*in->p)) in->p++;
        return 0;
    }
    return -1;
}

/* An integer (no fraction, no exponent) within int64. */
static int read_long(In *in, int64_t *out) {
    const char *p = in->p;
    int neg = 0;
    if (p < in->end && *p == '-') { neg = 1; p++; }
    if (p >= in->end || *p < '0' || *p > '9') return -1;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    while (p < in->end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10) return -1;
        v = v * 10 + d;
        p++;
    }
    if (p < in->end && (*p == '.' || *p == 'e' || *p == 'E')) return -1;
    in->p = p;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int read_double(In *in, double *out) {
    char tmp[64];
    const char *p = in->p;
    size_t n = 0;
    while (p + n < in->end && number_char(p[n]) && n < 63) n++;
    if (n == 0 || n >= 63) return -1;
    memcpy(tmp, p, n);
    tmp[n] = 0;
    char *stop;
    *out = strtod(tmp, &stop); /* (C locale: the process never changes LC_NUMERIC) */
    if ((size_t)(stop - tmp) != n) return -1;
    in->p += n;
    return 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* The canonical timestamp text YYYY-MM-DDTHH:MM:SS.ffffffZ (tooltrail.canonical) as
 * microseconds since the epoch; any other form is an error. */
static int read_ts_text(const char *s, size_t n, int64_t *out) {
    static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se, us;
    if (n != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != '.' || s[26] != 'Z')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) ||
        digits(s + 20, 6, &us))
        return -1;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        se > 59)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return -1;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = ((days * 86400 + h * 3600 + mi * 60 + se) * (int64_t)1000000) + us;
    return 0;
}

/* -- transcoding ------------------------------------------------------------------------- */

typedef struct {
    const char *key;
    size_t klen;
    const char *value;
} Entry;

typedef struct {
    Buf *out, *scratch;
    const char *end, *xend; /* of the document being read, and of the extra one */
} Ctx;

static int value(const Node *node, In *in, Ctx *cx, int depth);

static int put_json_string(In *in, Ctx *cx) {
    const char *s; size_t n; int escaped;
    if (raw_string(in, &s, &n, &escaped)) return -1;
    if (!escaped) {
        if (put_long(cx->out, (int64_t)n)) return -1;
        return put(cx->out, s, n);
    }
    cx->scratch->len = 0;
    if (unescape(cx->scratch, s, n)) return -1;
    if (put_long(cx->out, (int64_t)cx->scratch->len)) return -1;
    return put(cx->out, cx->scratch->p, cx->scratch->len);
}

/* The entries of the JSON object at in->p; in->p ends past it. */
static int object_entries(In *in, Entry *entries, Py_ssize_t *count, int depth) {
    Py_ssize_t n = 0;
    if (in->p >= in->end || *in->p != '{') return -1;
    in->p++;
    ws(in);
    if (in->p < in->end && *in->p == '}') { in->p++; *count = 0; return 0; }
    for (;;) {
        const char *k; size_t kn; int e;
        ws(in);
        if (n >= MAX_FIELDS || raw_string(in, &k, &kn, &e)) return -1;
        ws(in);
        if (in->p >= in->end || *in->p != ':') return -1;
        in->p++;
        ws(in);
        entries[n].key = e ? NULL : k; /* an escaped key matches no field name */
        entries[n].klen = kn;
        entries[n].value = in->p;
        n++;
        if (skip_value(in, depth + 1)) return -1;
        ws(in);
        if (in->p >= in->end) return -1;
        if (*in->p == ',') { in->p++; continue; }
        if (*in->p == '}') { in->p++; *count = n; return 0; }
        return -1;
    }
}

/* The index of the entry named `name`, looking from `hint` on (then from the start), or -1. */
static Py_ssize_t find(const Entry *entries, Py_ssize_t n, Py_ssize_t hint, const char *name,
                       size_t len) {
    for (Py_ssize_t j = 0; j < n; j++) {
        Py_ssize_t k = (hint + j) % n;
        const Entry *e = &entries[k];
        if (e->key != NULL && e->klen == len && memcmp(e->key, name, len) == 0) return k;
    }
    return -1;
}

/* A record from the object at in->p, its missing fields taken from `extra` (the top level
 * only: the integrity fields, which the canonical JSON leaves out). */
static int record(const Node *node, In *in, Ctx *cx, int depth, const Entry *extra,
                  Py_ssize_t nextra) {
    Entry entries[MAX_FIELDS];
    Py_ssize_t n;
    if (object_entries(in, entries, &n, depth)) return -1;
    const char *after = in->p;
    /* Match the keys to the fields in one merge of two sorted lists (the canonical JSON's
     * keys are sorted); a field it misses is looked for in `extra`, then by a full scan
     * (a document whose keys are not sorted). */
    const char *slot[MAX_FIELDS];
    memset(slot, 0, sizeof(const char *) * (size_t)node->n);
    Py_ssize_t f = 0;
    for (Py_ssize_t k = 0; k < n && f < node->n; k++) {
        if (entries[k].key == NULL) continue;
        while (f < node->n) {
            Py_ssize_t i = node->order[f];
            int c = key_cmp(entries[k].key, entries[k].klen, node->names[i], node->lens[i]);
            if (c < 0) break; /* a key that is no field: the next key */
            f++;
            if (c == 0) {
                slot[i] = entries[k].value;
                break;
            }
        }
    }
    for (Py_ssize_t i = 0; i < node->n; i++) {
        const char *at = slot[i], *end = cx->end;
        if (at == NULL && extra != NULL) {
            Py_ssize_t k = nextra ? find(extra, nextra, 0, node->names[i], node->lens[i]) : -1;
            if (k >= 0) {
                at = extra[k].value;
                end = cx->xend;
            }
        }
        if (at == NULL) {
            Py_ssize_t k = n ? find(entries, n, 0, node->names[i], node->lens[i]) : -1;
            if (k < 0) return -1;
            at = entries[k].value;
        }
        In sub = {at, end};
        if (value(node->fields[i], &sub, cx, depth + 1)) return -1;
    }
    in->p = after;
    return 0;
}

static int count_items(In in, char close, int depth, int64_t *count) {
    int64_t n = 0;
    in.p++;
    ws(&in);
    if (in.p < in.end && *in.p == close) { *count = 0; return 0; }
    for (;;) {
        if (close == '}') {
            const char *s; size_t sn; int e;
            ws(&in);
            if (raw_string(&in, &s, &sn, &e)) return -1;
            ws(&in);
            if (in.p >= in.end || *in.p != ':') return -1;
            in.p++;
        }
        if (skip_value(&in, depth + 1)) return -1;
        n++;
        ws(&in);
        if (in.p >= in.end) return -1;
        if (*in.p == ',') { in.p++; continue; }
        if (*in.p == close) { *count = n; return 0; }
        return -1;
    }
}

static int collection(const Node *node, In *in, Ctx *cx, int depth) {
    char close = node->kind == K_ARRAY ? ']' : '}';
    if (in->p >= in->end || *in->p != (close == ']' ? '[' : '{')) return -1;
    int64_t count;
    if (count_items(*in, close, depth, &count)) return -1;
    in->p++;
    if (count) {
        if (put_long(cx->out, count)) return -1;
        for (int64_t i = 0; i < count; i++) {
            ws(in);
            if (close == '}') {
                if (put_json_string(in, cx)) return -1;
                ws(in);
                in->p++; /* ':' (checked by count_items) */
                ws(in);
            }
            if (value(node->inner, in, cx, depth + 1)) return -1;
            ws(in);
            in->p++; /* ',' or the closing bracket (checked by count_items) */
        }
    } else {
        ws(in);
        in->p++;
    }
    return put_byte(cx->out, 0);
}

static int value(const Node *node, In *in, Ctx *cx, int depth) {
    if (depth > MAX_DEPTH) return -1;
    ws(in);
    if (in->p >= in->end) return -1;
    char c = *in->p;
    switch (node->kind) {
    case K_NULL:
        return literal(in, "null", 4);
    case K_BOOL:
        if (c == 't') return literal(in, "true", 4) || put_byte(cx->out, 1);
        return literal(in, "false", 5) || put_byte(cx->out, 0);
    case K_LONG: {
        int64_t v;
        return read_long(in, &v) || put_long(cx->out, v);
    }
    case K_DOUBLE:
    case K_FLOAT: {
        double v;
        if (read_double(in, &v)) return -1;
        if (node->kind == K_DOUBLE) {
            unsigned char b[8];
            uint64_t u;
            memcpy(&u, &v, 8);
            for (int i = 0; i < 8; i++) b[i] = (unsigned char)(u >> (8 * i));
            return put(cx->out, (const char *)b, 8);
        } else {
            float f = (float)v;
            uint32_t u;
            unsigned char b[4];
            memcpy(&u, &f, 4);
            for (int i = 0; i < 4; i++) b[i] = (unsigned char)(u >> (8 * i));
            return put(cx->out, (const char *)b, 4);
        }
    }
    case K_STRING:
        return put_json_string(in, cx);
    case K_TS: {
        int64_t v;
        if (c == '"') {
            const char *s; size_t n; int escaped;
            if (raw_string(in, &s, &n, &escaped) || escaped || read_ts_text(s, n, &v)) return -1;
        } else if (read_long(in, &v)) {
            return -1;
        }
        return put_long(cx->out, v);
    }
    case K_ENUM: {
        const char *s; size_t n; int escaped;
        if (raw_string(in, &s, &n, &escaped) || escaped) return -1;
        for (Py_ssize_t i = 0; i < node->n; i++)
            if (node->lens[i] == n && memcmp(node->names[i], s, n) == 0)
                return put_long(cx->out, (int64_t)i);
        return -1;
    }
    case K_RECORD:
        return record(node, in, cx, depth, NULL, 0);
    case K_ARRAY:
    case K_MAP:
        return collection(node, in, cx, depth);
    case K_OPT:
        if (c == 'n') return literal(in, "null", 4) || put_byte(cx->out, 0);
        return put_byte(cx->out, 2) || value(node->inner, in, cx, depth + 1);
    }
    return -1;
}

/* One item: header + the record read from `doc`, missing top-level fields from `extra`. */
static int transcode_one(const Node *root, const char *doc, size_t dlen, const char *xdoc,
                         size_t xlen, const char *header, size_t hlen, Buf *out, Buf *scratch) {
    Entry extra[MAX_FIELDS];
    Py_ssize_t nextra = 0;
    if (xdoc != NULL) {
        In x = {xdoc, xdoc + xlen};
        ws(&x);
        if (object_entries(&x, extra, &nextra, 0)) return -1;
        ws(&x);
        if (x.p != x.end) return -1;
    }
    if (put(out, header, hlen)) return -1;
    In in = {doc, doc + dlen};
    Ctx cx = {out, scratch, doc + dlen, xdoc != NULL ? xdoc + xlen : NULL};
    ws(&in);
    if (root->kind != K_RECORD || record(root, &in, &cx, 0, extra, nextra)) return -1;
    ws(&in);
    return in.p == in.end ? 0 : -1;
}

/* -- Python interface -------------------------------------------------------------------- */

static void program_destroy(PyObject *capsule) {
    node_free(PyCapsule_GetPointer(capsule, CAPSULE));
}

static PyObject *program(PyObject *self, PyObject *desc) {
    Node *root = node_build(desc, 0);
    if (root == NULL) return NULL;
    if (root->kind != K_RECORD) {
        node_free(root);
        PyErr_SetString(PyExc_ValueError, "the top-level program must be a record");
        return NULL;
    }
    PyObject *capsule = PyCapsule_New(root, CAPSULE, program_destroy);
    if (capsule == NULL) node_free(root);
    return capsule;
}

typedef struct {
    Py_buffer doc;    /* bytes, or the spool's mapping: any C-contiguous buffer */
    Py_ssize_t start, stop; /* the document's bytes in it */
    PyObject *extra;
    size_t off, len;
    int held, ok;
} Job;

static PyObject *transcode_many(PyObject *self, PyObject *args) {
    PyObject *capsule, *items, *header;
    if (!PyArg_ParseTuple(args, "OO!O!", &capsule, &PyList_Type, &items, &PyBytes_Type, &header))
        return NULL;
    Node *root = PyCapsule_GetPointer(capsule, CAPSULE);
    if (root == NULL) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(items);
    Job *jobs = PyMem_Calloc((size_t)n + 1, sizeof(Job));
    if (jobs == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) { /* buffers held: the list may change meanwhile */
        PyObject *item = PyList_GET_ITEM(items, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) continue;
        PyObject *doc = PyTuple_GET_ITEM(item, 0), *extra = PyTuple_GET_ITEM(item, 1);
        Py_ssize_t start = 0, stop = -1;
        if (extra != Py_None && !PyBytes_Check(extra)) continue;
        if (PyTuple_Check(doc)) { /* (buffer, start, stop, ...): more items are ignored */
            if (PyTuple_GET_SIZE(doc) < 3) continue;
            start = PyLong_AsSsize_t(PyTuple_GET_ITEM(doc, 1));
            stop = PyLong_AsSsize_t(PyTuple_GET_ITEM(doc, 2));
            doc = PyTuple_GET_ITEM(doc, 0);
            if (PyErr_Occurred() || start < 0 || stop < start) {
                PyErr_Clear();
                continue;
            }
        }
        if (PyObject_GetBuffer(doc, &jobs[i].doc, PyBUF_SIMPLE) < 0) {
            PyErr_Clear(); /* not a buffer: that item is None */
            continue;
        }
        if (stop < 0) stop = jobs[i].doc.len;
        if (stop > jobs[i].doc.len) {
            PyBuffer_Release(&jobs[i].doc);
            continue;
        }
        jobs[i].start = start;
        jobs[i].stop = stop;
        Py_INCREF(extra);
        jobs[i].extra = extra;
        jobs[i].held = 1;
    }
    Py_INCREF(header);
    const char *h = PyBytes_AS_STRING(header);
    size_t hlen = (size_t)PyBytes_GET_SIZE(header);
    Buf out = {NULL, 0, 0}, scratch = {NULL, 0, 0};
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        Job *job = &jobs[i];
        if (!job->held) continue;
        size_t start = out.len;
        int none = job->extra == Py_None;
        if (transcode_one(root, (const char *)job->doc.buf + job->start,
                          (size_t)(job->stop - job->start),
                          none ? NULL : PyBytes_AS_STRING(job->extra),
                          none ? 0 : (size_t)PyBytes_GET_SIZE(job->extra), h, hlen, &out,
                          &scratch) == 0) {
            job->ok = 1;
            job->off = start;
            job->len = out.len - start;
        } else {
            out.len = start;
        }
    }
    Py_END_ALLOW_THREADS
    PyObject *result = PyList_New(n);
    for (Py_ssize_t i = 0; i < n; i++) {
        Job *job = &jobs[i];
        if (result != NULL) {
            PyObject *v = job->ok ? PyBytes_FromStringAndSize(out.p + job->off, (Py_ssize_t)job->len)
                                  : Py_NewRef(Py_None);
            if (v == NULL) Py_CLEAR(result);
            else PyList_SET_ITEM(result, i, v);
        }
        if (job->held) {
            PyBuffer_Release(&job->doc);
            Py_DECREF(job->extra);
        }
    }
    Py_DECREF(header);
    free(out.p);
    free(scratch.p);
    PyMem_Free(jobs);
    return result;
}

/* Stop the cyclic garbage collector from tracking each argument that is an exact dict or
 * tuple, in no cycle and taking part in none (what disk mode's caller hands over: it then
 * waits without the collector's young passes walking it). Other types are left alone: some
 * (memoryview) deallocate assuming they are tracked. CPython itself untracks dicts and
 * tuples of atomic values, and re-tracks a dict when a container is put in it. */
static PyObject *untrack(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *obj = args[i];
        if ((PyDict_CheckExact(obj) || PyTuple_CheckExact(obj)) && PyObject_GC_IsTracked(obj))
            PyObject_GC_UnTrack(obj);
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"untrack", (PyCFunction)(void (*)(void))untrack, METH_FASTCALL,
     "untrack(*objs) -> None: the garbage collector no longer traverses each obj that is an\n"
     "exact dict or tuple (other types are left alone; see the source)"},
    {"program", program, METH_O,
     "program(description) -> the compiled program of a record schema (see transcode.py)"},
    {"transcode_many", transcode_many, METH_VARARGS,
     "transcode_many(program, [(json, extra_json or None), ...], header) -> [bytes or None]\n\n"
     "json: bytes or any other buffer, or (buffer, start, stop, ...); extra_json: bytes.\n"
     "header + the Avro binary of each JSON document (the GIL released meanwhile); None for\n"
     "an item that does not fit the program."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_transcode", "Canonical JSON to Avro binary (see transcode.py).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__transcode(void) { return PyModule_Create(&module); }
