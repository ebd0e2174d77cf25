/* Where does one message of an unframed dialect end? Unframed clients send no length, so the
 * message's structure is walked (without decoding values). The walk is iterative with an
 * explicit stack, so a hostile nesting depth cannot overflow the C stack. */
#include "bpio_frame.h"

/* Binary protocol type ids. */
enum {
    T_STOP = 0, T_BOOL = 2, T_BYTE = 3, T_DOUBLE = 4, T_I16 = 6, T_I32 = 8, T_I64 = 10,
    T_STRING = 11, T_STRUCT = 12, T_MAP = 13, T_SET = 14, T_LIST = 15, T_UUID = 16
};
/* Compact protocol type ids. */
enum {
    C_STOP = 0, C_TRUE = 1, C_FALSE = 2, C_BYTE = 3, C_I16 = 4, C_I32 = 5, C_I64 = 6,
    C_DOUBLE = 7, C_BINARY = 8, C_LIST = 9, C_SET = 10, C_MAP = 11, C_STRUCT = 12, C_UUID = 13
};

typedef struct walker {
    const uint8_t *p;
    const uint8_t *end;
    const uint8_t *base; /* the message's first byte */
    size_t limit;        /* max_frame_size: no message may run past base + limit */
    int compact;
} walker;

typedef bpio_walk_level level;

#define NEED_MORE 1
#define BAD -1

/* Bytes still allowed before the message would exceed the limit. */
static size_t room(const walker *w) {
    size_t used = (size_t)(w->p - w->base);
    return used < w->limit ? w->limit - used : 0;
}

static int take(walker *w, size_t n) {
    if (n > room(w)) {
        return BAD; /* a declared length past max_frame_size: no need to wait for its bytes */
    }
    if ((size_t)(w->end - w->p) < n) {
        return NEED_MORE;
    }
    w->p += n;
    return 0;
}

static int byte_at(walker *w, uint8_t *b) {
    if (w->p >= w->end) {
        return NEED_MORE;
    }
    *b = *w->p++;
    return 0;
}

static int varint(walker *w, uint64_t *out, int max_bytes) {
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; i++) {
        uint8_t b;
        if (byte_at(w, &b)) {
            return NEED_MORE;
        }
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *out = v;
            return 0;
        }
    }
    return BAD;
}

static int be32(walker *w, int32_t *out) {
    if ((size_t)(w->end - w->p) < 4) {
        return NEED_MORE;
    }
    *out = (int32_t)((uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 |
                     (uint32_t)w->p[2] << 8 | w->p[3]);
    w->p += 4;
    return 0;
}

/* Length-prefixed bytes: i32 in binary, varint in compact. */
static int skip_string(walker *w) {
    if (w->compact) {
        uint64_t n;
        int rc = varint(w, &n, 5);
        if (rc) {
            return rc;
        }
        if (n > 0x7fffffff) {
            return BAD;
        }
        return take(w, (size_t)n);
    }
    int32_t n;
    int rc = be32(w, &n);
    if (rc) {
        return rc;
    }
    return n < 0 ? BAD : take(w, (size_t)n);
}

/* Skips a value of `type`; a nested struct or container is pushed instead of walked. */
static int value(walker *w, uint8_t type, level *stack, int *depth) {
    int rc = 0;
    uint64_t u;
    if (w->compact) {
        switch (type) {
        case C_TRUE: case C_FALSE: case C_BYTE: return take(w, 1);
        case C_I16: case C_I32: return varint(w, &u, 5);
        case C_I64: return varint(w, &u, 10);
        case C_DOUBLE: return take(w, 8);
        case C_UUID: return take(w, 16);
        case C_BINARY: return skip_string(w);
        default: break;
        }
    } else {
        switch (type) {
        case T_BOOL: case T_BYTE: return take(w, 1);
        case T_I16: return take(w, 2);
        case T_I32: return take(w, 4);
        case T_I64: case T_DOUBLE: return take(w, 8);
        case T_UUID: return take(w, 16);
        case T_STRING: return skip_string(w);
        default: break;
        }
    }
    int is_struct = w->compact ? type == C_STRUCT : type == T_STRUCT;
    int is_map = w->compact ? type == C_MAP : type == T_MAP;
    int is_list = w->compact ? (type == C_LIST || type == C_SET) : (type == T_LIST || type == T_SET);
    if (!is_struct && !is_map && !is_list) {
        return BAD;
    }
    if (*depth >= BPIO_MAX_DEPTH) {
        return BAD;
    }
    level l = {0};
    if (is_struct) {
        l.is_struct = 1;
    } else if (w->compact && is_list) {
        uint8_t b;
        if ((rc = byte_at(w, &b))) {
            return rc;
        }
        l.key_type = b & 0x0f;
        l.remaining = b >> 4;
        if (l.remaining == 15 && (rc = varint(w, &l.remaining, 5))) {
            return rc;
        }
    } else if (w->compact) {
        if ((rc = varint(w, &l.remaining, 5))) {
            return rc;
        }
        if (l.remaining > 0) {
            uint8_t b;
            if ((rc = byte_at(w, &b))) {
                return rc;
            }
            l.key_type = b >> 4;
            l.value_type = b & 0x0f;
        }
        l.is_map = 1;
        l.remaining *= 2;
    } else {
        uint8_t kt, vt = 0;
        int32_t n;
        if ((rc = byte_at(w, &kt))) {
            return rc;
        }
        if (is_map && (rc = byte_at(w, &vt))) {
            return rc;
        }
        if ((rc = be32(w, &n))) {
            return rc;
        }
        if (n < 0) {
            return BAD;
        }
        l.key_type = kt;
        l.value_type = vt;
        l.is_map = (uint8_t)is_map;
        l.remaining = is_map ? (uint64_t)n * 2 : (uint64_t)n;
    }
    /* Every element takes at least one byte: a count that cannot fit is rejected now. */
    if (l.remaining > 0x7fffffffull * 2 || l.remaining > room(w)) {
        return BAD;
    }
    stack[(*depth)++] = l;
    return 0;
}

/* Walks fields and elements until the outermost struct ends. Each item (a field, or a
 * container element) either completes or leaves the state as it was before the item, so the
 * walk resumes at that item when more bytes arrive. */
static int walk(walker *w, bpio_walk *st) {
    const uint8_t *start = w->p - st->pos;
    while (st->depth > 0) {
        level *top = &st->stack[st->depth - 1];
        uint64_t saved_remaining = top->remaining;
        int saved_depth = st->depth;
        uint8_t type;
        int rc = 0;
        if (top->is_struct) {
            uint8_t b;
            if ((rc = byte_at(w, &b))) {
                goto stop;
            }
            if (w->compact) {
                type = b & 0x0f;
                if (type == C_STOP) {
                    st->depth--;
                    goto next;
                }
                uint64_t id;
                if ((b >> 4) == 0 && (rc = varint(w, &id, 3))) {
                    goto stop; /* a long-form (zigzag i16) field id */
                }
                if (type == C_TRUE || type == C_FALSE) {
                    goto next; /* a struct field's bool lives in its header */
                }
            } else {
                type = b;
                if (type == T_STOP) {
                    st->depth--;
                    goto next;
                }
                if ((rc = take(w, 2))) {
                    goto stop;
                }
            }
        } else {
            if (top->remaining == 0) {
                st->depth--;
                goto next;
            }
            type = (top->is_map && top->remaining % 2 == 1) ? top->value_type : top->key_type;
            top->remaining--;
        }
        if ((rc = value(w, type, st->stack, &st->depth))) {
            goto stop;
        }
    next:
        st->pos = (size_t)(w->p - start);
        continue;
    stop:
        if (rc == NEED_MORE) { /* undo the partial item */
            st->depth = saved_depth;
            st->stack[saved_depth - 1].remaining = saved_remaining;
            w->p = start + st->pos;
        }
        return rc;
    }
    return 0;
}

static int message_header(walker *w) {
    int rc;
    if (w->compact) {
        uint64_t u;
        if ((rc = take(w, 2)) || (rc = varint(w, &u, 5))) {
            return rc;
        }
        return skip_string(w);
    }
    if ((rc = take(w, 4)) || (rc = skip_string(w))) {
        return rc;
    }
    return take(w, 4);
}

void bpio_walk_reset(bpio_walk *st) {
    st->pos = 0;
    st->header_done = 0;
    st->depth = 0;
}

bpio_status bpio_message_walk(bpio_walk *st, int protocol, const uint8_t *p, size_t n,
                              size_t limit, size_t *msg_len) {
    size_t avail = n < limit ? n : limit;
    walker w = {p + st->pos, p + avail, p, limit, protocol == BPIO_PROTOCOL_COMPACT};
    int rc = 0;
    if (!st->header_done) {
        rc = message_header(&w);
        if (rc == 0) {
            st->header_done = 1;
            st->pos = (size_t)(w.p - p);
            st->depth = 1;
            st->stack[0] = (level){.is_struct = 1};
        } else {
            w.p = p;
        }
    }
    if (rc == 0) {
        rc = walk(&w, st);
    }
    if (rc == BAD) {
        return BPIO_ERROR;
    }
    if (rc == NEED_MORE) {
        return n >= limit ? BPIO_ERROR : BPIO_NEED_MORE;
    }
    *msg_len = (size_t)(w.p - p);
    return BPIO_OK;
}

bpio_status bpio_message_length(int protocol, const uint8_t *p, size_t n, size_t limit,
                                size_t *msg_len) {
    bpio_walk st;
    bpio_walk_reset(&st);
    return bpio_message_walk(&st, protocol, p, n, limit, msg_len);
}
