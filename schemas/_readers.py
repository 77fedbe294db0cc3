"""Avro readers of the bundled schemas. Generated: do not edit.

Regenerate with ``make generated`` (tooltrail.schemas.avro_reader.module_source);
a unit test fails while this file differs from what the generator writes.
"""

from __future__ import annotations

import struct
from datetime import timedelta as _td
from typing import Any

from tooltrail.schemas.avro_reader import _EPOCH, Reader, _bad, _long_tail

_k_653d7b7767dcda21_0 = ('detection', 'integrity')
_k_653d7b7767dcda21_1 = ('info', 'low', 'medium', 'high', 'critical')
_k_94233fe93eea8db3_0 = ('tool_call', 'session_start', 'session_end')
_k_94233fe93eea8db3_1 = ('none', 'metadata', 'request', 'request_response')
_k_94233fe93eea8db3_2 = ('requested', 'decided', 'started', 'completed')
_k_94233fe93eea8db3_3 = ('allow', 'deny', 'approval_required')
_k_94233fe93eea8db3_4 = ('success', 'error', 'denied', 'timeout', 'cancelled')
_k_eda0e35e7eedb1f6_0 = ('tool_call', 'session_start', 'session_end')
_k_eda0e35e7eedb1f6_1 = ('none', 'metadata', 'request', 'request_response')
_k_eda0e35e7eedb1f6_2 = ('requested', 'decided', 'started', 'completed')
_k_eda0e35e7eedb1f6_3 = ('allow', 'deny', 'approval_required')
_k_eda0e35e7eedb1f6_4 = ('success', 'error', 'denied', 'timeout', 'cancelled')


def read_653d7b7767dcda21(d: bytes, p: int) -> tuple[Any, int]:
    out: Any
    v1: Any
    v3: Any
    v5: Any
    v7: Any
    v9: Any
    v11: Any
    v12: Any
    x14: Any
    k15: Any
    v17: Any
    v19: Any
    v21: Any
    v23: Any
    v25: Any
    x27: Any
    k28: Any
    v30: Any
    v31: Any
    v32: Any
    v34: Any
    x36: Any
    k37: Any
    v40: Any
    L = len(d)
    b = d[p]
    p += 1
    if b < 128:
        n2 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n2 = (b >> 1) ^ -(b & 1)
    else:
        n2, p = _long_tail(d, p, b)
    if n2 < 0:
        raise _bad('negative length')
    e = p + n2
    if e > L:
        raise EOFError('string or bytes run past the end')
    v1 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        i4 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        i4 = (b >> 1) ^ -(b & 1)
    else:
        i4, p = _long_tail(d, p, b)
    if not 0 <= i4 < 2:
        raise _bad('enum index out of range')
    v3 = _k_653d7b7767dcda21_0[i4]
    b = d[p]
    p += 1
    if b < 128:
        n6 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n6 = (b >> 1) ^ -(b & 1)
    else:
        n6, p = _long_tail(d, p, b)
    if n6 < 0:
        raise _bad('negative length')
    e = p + n6
    if e > L:
        raise EOFError('string or bytes run past the end')
    v5 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        n8 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n8 = (b >> 1) ^ -(b & 1)
    else:
        n8, p = _long_tail(d, p, b)
    if n8 < 0:
        raise _bad('negative length')
    e = p + n8
    if e > L:
        raise EOFError('string or bytes run past the end')
    v7 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        i10 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        i10 = (b >> 1) ^ -(b & 1)
    else:
        i10, p = _long_tail(d, p, b)
    if not 0 <= i10 < 5:
        raise _bad('enum index out of range')
    v9 = _k_653d7b7767dcda21_1[i10]
    b = d[p]
    p += 1
    if b < 128:
        v11 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v11 = (b >> 1) ^ -(b & 1)
    else:
        v11, p = _long_tail(d, p, b)
    v12 = []
    while True:
        b = d[p]
        p += 1
        if b < 128:
            c13 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            c13 = (b >> 1) ^ -(b & 1)
        else:
            c13, p = _long_tail(d, p, b)
        if c13 == 0:
            break
        if c13 < 0:
            c13 = -c13
            b = d[p]
            p += 1
            if b < 128:
                _ = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                _ = (b >> 1) ^ -(b & 1)
            else:
                _, p = _long_tail(d, p, b)
        if c13 > L - p:
            raise EOFError('block count runs past the end')
        for _ in range(c13):
            b = d[p]
            p += 1
            if b < 128:
                n16 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n16 = (b >> 1) ^ -(b & 1)
            else:
                n16, p = _long_tail(d, p, b)
            if n16 < 0:
                raise _bad('negative length')
            e = p + n16
            if e > L:
                raise EOFError('string or bytes run past the end')
            x14 = d[p:e].decode()
            p = e
            v12.append(x14)
    b = d[p]
    p += 1
    if b < 128:
        n18 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n18 = (b >> 1) ^ -(b & 1)
    else:
        n18, p = _long_tail(d, p, b)
    if n18 < 0:
        raise _bad('negative length')
    e = p + n18
    if e > L:
        raise EOFError('string or bytes run past the end')
    v17 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        n20 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n20 = (b >> 1) ^ -(b & 1)
    else:
        n20, p = _long_tail(d, p, b)
    if n20 < 0:
        raise _bad('negative length')
    e = p + n20
    if e > L:
        raise EOFError('string or bytes run past the end')
    v19 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        n22 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n22 = (b >> 1) ^ -(b & 1)
    else:
        n22, p = _long_tail(d, p, b)
    if n22 < 0:
        raise _bad('negative length')
    e = p + n22
    if e > L:
        raise EOFError('string or bytes run past the end')
    v21 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b == 0:
        v23 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n24 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n24 = (b >> 1) ^ -(b & 1)
        else:
            n24, p = _long_tail(d, p, b)
        if n24 < 0:
            raise _bad('negative length')
        e = p + n24
        if e > L:
            raise EOFError('string or bytes run past the end')
        v23 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    v25 = []
    while True:
        b = d[p]
        p += 1
        if b < 128:
            c26 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            c26 = (b >> 1) ^ -(b & 1)
        else:
            c26, p = _long_tail(d, p, b)
        if c26 == 0:
            break
        if c26 < 0:
            c26 = -c26
            b = d[p]
            p += 1
            if b < 128:
                _ = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                _ = (b >> 1) ^ -(b & 1)
            else:
                _, p = _long_tail(d, p, b)
        if c26 > L - p:
            raise EOFError('block count runs past the end')
        for _ in range(c26):
            b = d[p]
            p += 1
            if b < 128:
                n29 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n29 = (b >> 1) ^ -(b & 1)
            else:
                n29, p = _long_tail(d, p, b)
            if n29 < 0:
                raise _bad('negative length')
            e = p + n29
            if e > L:
                raise EOFError('string or bytes run past the end')
            x27 = d[p:e].decode()
            p = e
            v25.append(x27)
    b = d[p]
    p += 1
    if b < 128:
        v30 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v30 = (b >> 1) ^ -(b & 1)
    else:
        v30, p = _long_tail(d, p, b)
    v30 = _EPOCH + _td(0, 0, v30)
    b = d[p]
    p += 1
    if b < 128:
        v31 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v31 = (b >> 1) ^ -(b & 1)
    else:
        v31, p = _long_tail(d, p, b)
    v31 = _EPOCH + _td(0, 0, v31)
    b = d[p]
    p += 1
    if b < 128:
        n33 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n33 = (b >> 1) ^ -(b & 1)
    else:
        n33, p = _long_tail(d, p, b)
    if n33 < 0:
        raise _bad('negative length')
    e = p + n33
    if e > L:
        raise EOFError('string or bytes run past the end')
    v32 = d[p:e].decode()
    p = e
    v34 = {}
    while True:
        b = d[p]
        p += 1
        if b < 128:
            c35 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            c35 = (b >> 1) ^ -(b & 1)
        else:
            c35, p = _long_tail(d, p, b)
        if c35 == 0:
            break
        if c35 < 0:
            c35 = -c35
            b = d[p]
            p += 1
            if b < 128:
                _ = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                _ = (b >> 1) ^ -(b & 1)
            else:
                _, p = _long_tail(d, p, b)
        if c35 > L - p:
            raise EOFError('block count runs past the end')
        for _ in range(c35):
            b = d[p]
            p += 1
            if b < 128:
                n38 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n38 = (b >> 1) ^ -(b & 1)
            else:
                n38, p = _long_tail(d, p, b)
            if n38 < 0:
                raise _bad('negative length')
            e = p + n38
            if e > L:
                raise EOFError('string or bytes run past the end')
            k37 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b < 128:
                n39 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n39 = (b >> 1) ^ -(b & 1)
            else:
                n39, p = _long_tail(d, p, b)
            if n39 < 0:
                raise _bad('negative length')
            e = p + n39
            if e > L:
                raise EOFError('string or bytes run past the end')
            x36 = d[p:e].decode()
            p = e
            v34[k37] = x36
    b = d[p]
    p += 1
    if b < 128:
        v40 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v40 = (b >> 1) ^ -(b & 1)
    else:
        v40, p = _long_tail(d, p, b)
    v40 = _EPOCH + _td(0, 0, v40)
    out = {'alert_id': v1, 'kind': v3, 'rule_id': v5, 'rule_name': v7, 'severity': v9, 'risk_score': v11, 'tags': v12, 'tenant_id': v17, 'session_id': v19, 'agent_id': v21, 'principal': v23, 'event_ids': v25, 'first_event_at': v30, 'last_event_at': v31, 'message': v32, 'captures': v34, 'detected_at': v40}
    return out, p


def read_6e50b06e3a6ea507(d: bytes, p: int) -> tuple[Any, int]:
    out: Any
    v1: Any
    v3: Any
    v5: Any
    v7: Any
    v8: Any
    v9: Any
    v11: Any
    v13: Any
    v15: Any
    v16: Any
    L = len(d)
    b = d[p]
    p += 1
    if b < 128:
        n2 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n2 = (b >> 1) ^ -(b & 1)
    else:
        n2, p = _long_tail(d, p, b)
    if n2 < 0:
        raise _bad('negative length')
    e = p + n2
    if e > L:
        raise EOFError('string or bytes run past the end')
    v1 = d[p:e]
    p = e
    b = d[p]
    p += 1
    if b == 0:
        v3 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n4 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n4 = (b >> 1) ^ -(b & 1)
        else:
            n4, p = _long_tail(d, p, b)
        if n4 < 0:
            raise _bad('negative length')
        e = p + n4
        if e > L:
            raise EOFError('string or bytes run past the end')
        v3 = d[p:e]
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        n6 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n6 = (b >> 1) ^ -(b & 1)
    else:
        n6, p = _long_tail(d, p, b)
    if n6 < 0:
        raise _bad('negative length')
    e = p + n6
    if e > L:
        raise EOFError('string or bytes run past the end')
    v5 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        v7 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v7 = (b >> 1) ^ -(b & 1)
    else:
        v7, p = _long_tail(d, p, b)
    b = d[p]
    p += 1
    if b < 128:
        v8 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v8 = (b >> 1) ^ -(b & 1)
    else:
        v8, p = _long_tail(d, p, b)
    b = d[p]
    p += 1
    if b < 128:
        n10 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n10 = (b >> 1) ^ -(b & 1)
    else:
        n10, p = _long_tail(d, p, b)
    if n10 < 0:
        raise _bad('negative length')
    e = p + n10
    if e > L:
        raise EOFError('string or bytes run past the end')
    v9 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        n12 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n12 = (b >> 1) ^ -(b & 1)
    else:
        n12, p = _long_tail(d, p, b)
    if n12 < 0:
        raise _bad('negative length')
    e = p + n12
    if e > L:
        raise EOFError('string or bytes run past the end')
    v11 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        n14 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n14 = (b >> 1) ^ -(b & 1)
    else:
        n14, p = _long_tail(d, p, b)
    if n14 < 0:
        raise _bad('negative length')
    e = p + n14
    if e > L:
        raise EOFError('string or bytes run past the end')
    v13 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        v15 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v15 = (b >> 1) ^ -(b & 1)
    else:
        v15, p = _long_tail(d, p, b)
    v15 = _EPOCH + _td(0, 0, v15)
    b = d[p]
    p += 1
    if b == 0:
        v16 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n17 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n17 = (b >> 1) ^ -(b & 1)
        else:
            n17, p = _long_tail(d, p, b)
        if n17 < 0:
            raise _bad('negative length')
        e = p + n17
        if e > L:
            raise EOFError('string or bytes run past the end')
        v16 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    out = {'original': v1, 'original_key': v3, 'topic': v5, 'partition': v7, 'offset': v8, 'stage': v9, 'reason': v11, 'error_message': v13, 'failed_at': v15, 'worker': v16}
    return out, p


def read_94233fe93eea8db3(d: bytes, p: int) -> tuple[Any, int]:
    out: Any
    v1: Any
    v2: Any
    v4: Any
    v6: Any
    v8: Any
    v9: Any
    v11: Any
    v13: Any
    v15: Any
    v17: Any
    v19: Any
    v21: Any
    v23: Any
    v24: Any
    v26: Any
    v28: Any
    v30: Any
    v31: Any
    v33: Any
    v35: Any
    v37: Any
    v39: Any
    v41: Any
    v43: Any
    v45: Any
    v46: Any
    v48: Any
    v50: Any
    v52: Any
    v54: Any
    v56: Any
    v58: Any
    v60: Any
    v61: Any
    v63: Any
    v65: Any
    v67: Any
    v69: Any
    x71: Any
    k72: Any
    v73: Any
    v75: Any
    v77: Any
    v79: Any
    v80: Any
    v82: Any
    v84: Any
    v86: Any
    v88: Any
    v90: Any
    v91: Any
    v93: Any
    v95: Any
    v96: Any
    v97: Any
    v98: Any
    v100: Any
    v101: Any
    v103: Any
    x105: Any
    k106: Any
    v109: Any
    v111: Any
    v113: Any
    v115: Any
    v117: Any
    v119: Any
    x121: Any
    k122: Any
    v124: Any
    v126: Any
    v128: Any
    v129: Any
    v130: Any
    x132: Any
    k133: Any
    v134: Any
    v136: Any
    v138: Any
    v140: Any
    v142: Any
    v143: Any
    L = len(d)
    b = d[p]
    p += 1
    if b < 128:
        n3 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n3 = (b >> 1) ^ -(b & 1)
    else:
        n3, p = _long_tail(d, p, b)
    if n3 < 0:
        raise _bad('negative length')
    e = p + n3
    if e > L:
        raise EOFError('string or bytes run past the end')
    v2 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        i5 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        i5 = (b >> 1) ^ -(b & 1)
    else:
        i5, p = _long_tail(d, p, b)
    if not 0 <= i5 < 3:
        raise _bad('enum index out of range')
    v4 = _k_94233fe93eea8db3_0[i5]
    b = d[p]
    p += 1
    if b < 128:
        n7 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n7 = (b >> 1) ^ -(b & 1)
    else:
        n7, p = _long_tail(d, p, b)
    if n7 < 0:
        raise _bad('negative length')
    e = p + n7
    if e > L:
        raise EOFError('string or bytes run past the end')
    v6 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        n10 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n10 = (b >> 1) ^ -(b & 1)
    else:
        n10, p = _long_tail(d, p, b)
    if n10 < 0:
        raise _bad('negative length')
    e = p + n10
    if e > L:
        raise EOFError('string or bytes run past the end')
    v9 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b == 0:
        v11 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n12 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n12 = (b >> 1) ^ -(b & 1)
        else:
            n12, p = _long_tail(d, p, b)
        if n12 < 0:
            raise _bad('negative length')
        e = p + n12
        if e > L:
            raise EOFError('string or bytes run past the end')
        v11 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v13 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n14 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n14 = (b >> 1) ^ -(b & 1)
        else:
            n14, p = _long_tail(d, p, b)
        if n14 < 0:
            raise _bad('negative length')
        e = p + n14
        if e > L:
            raise EOFError('string or bytes run past the end')
        v13 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v15 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n16 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n16 = (b >> 1) ^ -(b & 1)
        else:
            n16, p = _long_tail(d, p, b)
        if n16 < 0:
            raise _bad('negative length')
        e = p + n16
        if e > L:
            raise EOFError('string or bytes run past the end')
        v15 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v17 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n18 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n18 = (b >> 1) ^ -(b & 1)
        else:
            n18, p = _long_tail(d, p, b)
        if n18 < 0:
            raise _bad('negative length')
        e = p + n18
        if e > L:
            raise EOFError('string or bytes run past the end')
        v17 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    v8 = {'id': v9, 'name': v11, 'version': v13, 'framework': v15, 'framework_version': v17}
    b = d[p]
    p += 1
    if b == 0:
        v19 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n20 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n20 = (b >> 1) ^ -(b & 1)
        else:
            n20, p = _long_tail(d, p, b)
        if n20 < 0:
            raise _bad('negative length')
        e = p + n20
        if e > L:
            raise EOFError('string or bytes run past the end')
        v19 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        n22 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n22 = (b >> 1) ^ -(b & 1)
    else:
        n22, p = _long_tail(d, p, b)
    if n22 < 0:
        raise _bad('negative length')
    e = p + n22
    if e > L:
        raise EOFError('string or bytes run past the end')
    v21 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        v23 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v23 = (b >> 1) ^ -(b & 1)
    else:
        v23, p = _long_tail(d, p, b)
    b = d[p]
    p += 1
    if b == 0:
        v24 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n25 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n25 = (b >> 1) ^ -(b & 1)
        else:
            n25, p = _long_tail(d, p, b)
        if n25 < 0:
            raise _bad('negative length')
        e = p + n25
        if e > L:
            raise EOFError('string or bytes run past the end')
        v24 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v26 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n27 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n27 = (b >> 1) ^ -(b & 1)
        else:
            n27, p = _long_tail(d, p, b)
        if n27 < 0:
            raise _bad('negative length')
        e = p + n27
        if e > L:
            raise EOFError('string or bytes run past the end')
        v26 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v28 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n29 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n29 = (b >> 1) ^ -(b & 1)
        else:
            n29, p = _long_tail(d, p, b)
        if n29 < 0:
            raise _bad('negative length')
        e = p + n29
        if e > L:
            raise EOFError('string or bytes run past the end')
        v28 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v30 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n32 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n32 = (b >> 1) ^ -(b & 1)
        else:
            n32, p = _long_tail(d, p, b)
        if n32 < 0:
            raise _bad('negative length')
        e = p + n32
        if e > L:
            raise EOFError('string or bytes run past the end')
        v31 = d[p:e].decode()
        p = e
        b = d[p]
        p += 1
        if b == 0:
            v33 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n34 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n34 = (b >> 1) ^ -(b & 1)
            else:
                n34, p = _long_tail(d, p, b)
            if n34 < 0:
                raise _bad('negative length')
            e = p + n34
            if e > L:
                raise EOFError('string or bytes run past the end')
            v33 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v35 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n36 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n36 = (b >> 1) ^ -(b & 1)
            else:
                n36, p = _long_tail(d, p, b)
            if n36 < 0:
                raise _bad('negative length')
            e = p + n36
            if e > L:
                raise EOFError('string or bytes run past the end')
            v35 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v37 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n38 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n38 = (b >> 1) ^ -(b & 1)
            else:
                n38, p = _long_tail(d, p, b)
            if n38 < 0:
                raise _bad('negative length')
            e = p + n38
            if e > L:
                raise EOFError('string or bytes run past the end')
            v37 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v39 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n40 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n40 = (b >> 1) ^ -(b & 1)
            else:
                n40, p = _long_tail(d, p, b)
            if n40 < 0:
                raise _bad('negative length')
            e = p + n40
            if e > L:
                raise EOFError('string or bytes run past the end')
            v39 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        v30 = {'name': v31, 'call_id': v33, 'type': v35, 'server': v37, 'definition_sha256': v39}
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        i42 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        i42 = (b >> 1) ^ -(b & 1)
    else:
        i42, p = _long_tail(d, p, b)
    if not 0 <= i42 < 4:
        raise _bad('enum index out of range')
    v41 = _k_94233fe93eea8db3_1[i42]
    b = d[p]
    p += 1
    if b < 128:
        i44 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        i44 = (b >> 1) ^ -(b & 1)
    else:
        i44, p = _long_tail(d, p, b)
    if not 0 <= i44 < 4:
        raise _bad('enum index out of range')
    v43 = _k_94233fe93eea8db3_2[i44]
    b = d[p]
    p += 1
    if b == 0:
        v45 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            i47 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            i47 = (b >> 1) ^ -(b & 1)
        else:
            i47, p = _long_tail(d, p, b)
        if not 0 <= i47 < 3:
            raise _bad('enum index out of range')
        v46 = _k_94233fe93eea8db3_3[i47]
        b = d[p]
        p += 1
        if b == 0:
            v48 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n49 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n49 = (b >> 1) ^ -(b & 1)
            else:
                n49, p = _long_tail(d, p, b)
            if n49 < 0:
                raise _bad('negative length')
            e = p + n49
            if e > L:
                raise EOFError('string or bytes run past the end')
            v48 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v50 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n51 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n51 = (b >> 1) ^ -(b & 1)
            else:
                n51, p = _long_tail(d, p, b)
            if n51 < 0:
                raise _bad('negative length')
            e = p + n51
            if e > L:
                raise EOFError('string or bytes run past the end')
            v50 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v52 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n53 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n53 = (b >> 1) ^ -(b & 1)
            else:
                n53, p = _long_tail(d, p, b)
            if n53 < 0:
                raise _bad('negative length')
            e = p + n53
            if e > L:
                raise EOFError('string or bytes run past the end')
            v52 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        v45 = {'verdict': v46, 'policy_id': v48, 'decided_by': v50, 'reason': v52}
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v54 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            i55 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            i55 = (b >> 1) ^ -(b & 1)
        else:
            i55, p = _long_tail(d, p, b)
        if not 0 <= i55 < 5:
            raise _bad('enum index out of range')
        v54 = _k_94233fe93eea8db3_4[i55]
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v56 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n57 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n57 = (b >> 1) ^ -(b & 1)
        else:
            n57, p = _long_tail(d, p, b)
        if n57 < 0:
            raise _bad('negative length')
        e = p + n57
        if e > L:
            raise EOFError('string or bytes run past the end')
        v56 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v58 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n59 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n59 = (b >> 1) ^ -(b & 1)
        else:
            n59, p = _long_tail(d, p, b)
        if n59 < 0:
            raise _bad('negative length')
        e = p + n59
        if e > L:
            raise EOFError('string or bytes run past the end')
        v58 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v60 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            v60 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            v60 = (b >> 1) ^ -(b & 1)
        else:
            v60, p = _long_tail(d, p, b)
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v61 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n62 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n62 = (b >> 1) ^ -(b & 1)
        else:
            n62, p = _long_tail(d, p, b)
        if n62 < 0:
            raise _bad('negative length')
        e = p + n62
        if e > L:
            raise EOFError('string or bytes run past the end')
        v61 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v63 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n64 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n64 = (b >> 1) ^ -(b & 1)
        else:
            n64, p = _long_tail(d, p, b)
        if n64 < 0:
            raise _bad('negative length')
        e = p + n64
        if e > L:
            raise EOFError('string or bytes run past the end')
        v63 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v65 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n66 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n66 = (b >> 1) ^ -(b & 1)
        else:
            n66, p = _long_tail(d, p, b)
        if n66 < 0:
            raise _bad('negative length')
        e = p + n66
        if e > L:
            raise EOFError('string or bytes run past the end')
        v65 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v67 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n68 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n68 = (b >> 1) ^ -(b & 1)
        else:
            n68, p = _long_tail(d, p, b)
        if n68 < 0:
            raise _bad('negative length')
        e = p + n68
        if e > L:
            raise EOFError('string or bytes run past the end')
        v67 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    v69 = []
    while True:
        b = d[p]
        p += 1
        if b < 128:
            c70 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            c70 = (b >> 1) ^ -(b & 1)
        else:
            c70, p = _long_tail(d, p, b)
        if c70 == 0:
            break
        if c70 < 0:
            c70 = -c70
            b = d[p]
            p += 1
            if b < 128:
                _ = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                _ = (b >> 1) ^ -(b & 1)
            else:
                _, p = _long_tail(d, p, b)
        if c70 > L - p:
            raise EOFError('block count runs past the end')
        for _ in range(c70):
            b = d[p]
            p += 1
            if b < 128:
                n74 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n74 = (b >> 1) ^ -(b & 1)
            else:
                n74, p = _long_tail(d, p, b)
            if n74 < 0:
                raise _bad('negative length')
            e = p + n74
            if e > L:
                raise EOFError('string or bytes run past the end')
            v73 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b < 128:
                n76 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n76 = (b >> 1) ^ -(b & 1)
            else:
                n76, p = _long_tail(d, p, b)
            if n76 < 0:
                raise _bad('negative length')
            e = p + n76
            if e > L:
                raise EOFError('string or bytes run past the end')
            v75 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b == 0:
                v77 = None
            elif b == 2:
                b = d[p]
                p += 1
                if b < 128:
                    n78 = (b >> 1) ^ -(b & 1)
                elif d[p] < 128:
                    b = (b & 127) | (d[p] << 7)
                    p += 1
                    n78 = (b >> 1) ^ -(b & 1)
                else:
                    n78, p = _long_tail(d, p, b)
                if n78 < 0:
                    raise _bad('negative length')
                e = p + n78
                if e > L:
                    raise EOFError('string or bytes run past the end')
                v77 = d[p:e].decode()
                p = e
            else:
                raise _bad('union index out of range')
            x71 = {'path': v73, 'rule': v75, 'value_hmac': v77}
            v69.append(x71)
    b = d[p]
    p += 1
    if b == 0:
        v79 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b == 0:
            v80 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n81 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n81 = (b >> 1) ^ -(b & 1)
            else:
                n81, p = _long_tail(d, p, b)
            if n81 < 0:
                raise _bad('negative length')
            e = p + n81
            if e > L:
                raise EOFError('string or bytes run past the end')
            v80 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v82 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n83 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n83 = (b >> 1) ^ -(b & 1)
            else:
                n83, p = _long_tail(d, p, b)
            if n83 < 0:
                raise _bad('negative length')
            e = p + n83
            if e > L:
                raise EOFError('string or bytes run past the end')
            v82 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v84 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n85 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n85 = (b >> 1) ^ -(b & 1)
            else:
                n85, p = _long_tail(d, p, b)
            if n85 < 0:
                raise _bad('negative length')
            e = p + n85
            if e > L:
                raise EOFError('string or bytes run past the end')
            v84 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v86 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n87 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n87 = (b >> 1) ^ -(b & 1)
            else:
                n87, p = _long_tail(d, p, b)
            if n87 < 0:
                raise _bad('negative length')
            e = p + n87
            if e > L:
                raise EOFError('string or bytes run past the end')
            v86 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v88 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n89 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n89 = (b >> 1) ^ -(b & 1)
            else:
                n89, p = _long_tail(d, p, b)
            if n89 < 0:
                raise _bad('negative length')
            e = p + n89
            if e > L:
                raise EOFError('string or bytes run past the end')
            v88 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        v79 = {'model': v80, 'generation_id': v82, 'prompt_sha256': v84, 'response_sha256': v86, 'reasoning_excerpt': v88}
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v90 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b == 0:
            v91 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n92 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n92 = (b >> 1) ^ -(b & 1)
            else:
                n92, p = _long_tail(d, p, b)
            if n92 < 0:
                raise _bad('negative length')
            e = p + n92
            if e > L:
                raise EOFError('string or bytes run past the end')
            v91 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v93 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n94 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n94 = (b >> 1) ^ -(b & 1)
            else:
                n94, p = _long_tail(d, p, b)
            if n94 < 0:
                raise _bad('negative length')
            e = p + n94
            if e > L:
                raise EOFError('string or bytes run past the end')
            v93 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        v90 = {'identity': v91, 'scope': v93}
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        v95 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v95 = (b >> 1) ^ -(b & 1)
    else:
        v95, p = _long_tail(d, p, b)
    v95 = _EPOCH + _td(0, 0, v95)
    b = d[p]
    p += 1
    if b == 0:
        v96 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            v96 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            v96 = (b >> 1) ^ -(b & 1)
        else:
            v96, p = _long_tail(d, p, b)
        v96 = _EPOCH + _td(0, 0, v96)
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        n99 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n99 = (b >> 1) ^ -(b & 1)
    else:
        n99, p = _long_tail(d, p, b)
    if n99 < 0:
        raise _bad('negative length')
    e = p + n99
    if e > L:
        raise EOFError('string or bytes run past the end')
    v98 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        v100 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v100 = (b >> 1) ^ -(b & 1)
    else:
        v100, p = _long_tail(d, p, b)
    b = d[p]
    p += 1
    if b < 128:
        n102 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n102 = (b >> 1) ^ -(b & 1)
    else:
        n102, p = _long_tail(d, p, b)
    if n102 < 0:
        raise _bad('negative length')
    e = p + n102
    if e > L:
        raise EOFError('string or bytes run past the end')
    v101 = d[p:e].decode()
    p = e
    v97 = {'host': v98, 'pid': v100, 'sdk_version': v101}
    v103 = {}
    while True:
        b = d[p]
        p += 1
        if b < 128:
            c104 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            c104 = (b >> 1) ^ -(b & 1)
        else:
            c104, p = _long_tail(d, p, b)
        if c104 == 0:
            break
        if c104 < 0:
            c104 = -c104
            b = d[p]
            p += 1
            if b < 128:
                _ = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                _ = (b >> 1) ^ -(b & 1)
            else:
                _, p = _long_tail(d, p, b)
        if c104 > L - p:
            raise EOFError('block count runs past the end')
        for _ in range(c104):
            b = d[p]
            p += 1
            if b < 128:
                n107 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n107 = (b >> 1) ^ -(b & 1)
            else:
                n107, p = _long_tail(d, p, b)
            if n107 < 0:
                raise _bad('negative length')
            e = p + n107
            if e > L:
                raise EOFError('string or bytes run past the end')
            k106 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b < 128:
                n108 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n108 = (b >> 1) ^ -(b & 1)
            else:
                n108, p = _long_tail(d, p, b)
            if n108 < 0:
                raise _bad('negative length')
            e = p + n108
            if e > L:
                raise EOFError('string or bytes run past the end')
            x105 = d[p:e].decode()
            p = e
            v103[k106] = x105
    b = d[p]
    p += 1
    if b == 0:
        v109 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n110 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n110 = (b >> 1) ^ -(b & 1)
        else:
            n110, p = _long_tail(d, p, b)
        if n110 < 0:
            raise _bad('negative length')
        e = p + n110
        if e > L:
            raise EOFError('string or bytes run past the end')
        v109 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        n112 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n112 = (b >> 1) ^ -(b & 1)
    else:
        n112, p = _long_tail(d, p, b)
    if n112 < 0:
        raise _bad('negative length')
    e = p + n112
    if e > L:
        raise EOFError('string or bytes run past the end')
    v111 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b == 0:
        v113 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n114 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n114 = (b >> 1) ^ -(b & 1)
        else:
            n114, p = _long_tail(d, p, b)
        if n114 < 0:
            raise _bad('negative length')
        e = p + n114
        if e > L:
            raise EOFError('string or bytes run past the end')
        v113 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v115 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n116 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n116 = (b >> 1) ^ -(b & 1)
        else:
            n116, p = _long_tail(d, p, b)
        if n116 < 0:
            raise _bad('negative length')
        e = p + n116
        if e > L:
            raise EOFError('string or bytes run past the end')
        v115 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    v1 = {'event_id': v2, 'kind': v4, 'tenant_id': v6, 'agent': v8, 'principal': v19, 'session_id': v21, 'seq': v23, 'trace_id': v24, 'span_id': v26, 'parent_span_id': v28, 'tool': v30, 'capture_level': v41, 'stage': v43, 'decision': v45, 'outcome': v54, 'error_type': v56, 'error_message': v58, 'duration_us': v60, 'arguments': v61, 'arguments_sha256': v63, 'result': v65, 'result_sha256': v67, 'redactions': v69, 'why': v79, 'credential': v90, 'started_at': v95, 'ended_at': v96, 'producer': v97, 'attributes': v103, 'prev_hash': v109, 'event_hash': v111, 'signature': v113, 'key_id': v115}
    b = d[p]
    p += 1
    if b < 128:
        n118 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n118 = (b >> 1) ^ -(b & 1)
    else:
        n118, p = _long_tail(d, p, b)
    if n118 < 0:
        raise _bad('negative length')
    e = p + n118
    if e > L:
        raise EOFError('string or bytes run past the end')
    v117 = d[p:e].decode()
    p = e
    v119 = []
    while True:
        b = d[p]
        p += 1
        if b < 128:
            c120 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            c120 = (b >> 1) ^ -(b & 1)
        else:
            c120, p = _long_tail(d, p, b)
        if c120 == 0:
            break
        if c120 < 0:
            c120 = -c120
            b = d[p]
            p += 1
            if b < 128:
                _ = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                _ = (b >> 1) ^ -(b & 1)
            else:
                _, p = _long_tail(d, p, b)
        if c120 > L - p:
            raise EOFError('block count runs past the end')
        for _ in range(c120):
            b = d[p]
            p += 1
            if b < 128:
                n123 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n123 = (b >> 1) ^ -(b & 1)
            else:
                n123, p = _long_tail(d, p, b)
            if n123 < 0:
                raise _bad('negative length')
            e = p + n123
            if e > L:
                raise EOFError('string or bytes run past the end')
            x121 = d[p:e].decode()
            p = e
            v119.append(x121)
    b = d[p]
    p += 1
    if b == 0:
        v124 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n125 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n125 = (b >> 1) ^ -(b & 1)
        else:
            n125, p = _long_tail(d, p, b)
        if n125 < 0:
            raise _bad('negative length')
        e = p + n125
        if e > L:
            raise EOFError('string or bytes run past the end')
        v124 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v126 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n127 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n127 = (b >> 1) ^ -(b & 1)
        else:
            n127, p = _long_tail(d, p, b)
        if n127 < 0:
            raise _bad('negative length')
        e = p + n127
        if e > L:
            raise EOFError('string or bytes run past the end')
        v126 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v128 = None
    elif b == 2:
        b = d[p]
        p += 1
        v128 = b == 1
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    v129 = b == 1
    v130 = []
    while True:
        b = d[p]
        p += 1
        if b < 128:
            c131 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            c131 = (b >> 1) ^ -(b & 1)
        else:
            c131, p = _long_tail(d, p, b)
        if c131 == 0:
            break
        if c131 < 0:
            c131 = -c131
            b = d[p]
            p += 1
            if b < 128:
                _ = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                _ = (b >> 1) ^ -(b & 1)
            else:
                _, p = _long_tail(d, p, b)
        if c131 > L - p:
            raise EOFError('block count runs past the end')
        for _ in range(c131):
            b = d[p]
            p += 1
            if b < 128:
                n135 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n135 = (b >> 1) ^ -(b & 1)
            else:
                n135, p = _long_tail(d, p, b)
            if n135 < 0:
                raise _bad('negative length')
            e = p + n135
            if e > L:
                raise EOFError('string or bytes run past the end')
            v134 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b < 128:
                n137 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n137 = (b >> 1) ^ -(b & 1)
            else:
                n137, p = _long_tail(d, p, b)
            if n137 < 0:
                raise _bad('negative length')
            e = p + n137
            if e > L:
                raise EOFError('string or bytes run past the end')
            v136 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b < 128:
                n139 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n139 = (b >> 1) ^ -(b & 1)
            else:
                n139, p = _long_tail(d, p, b)
            if n139 < 0:
                raise _bad('negative length')
            e = p + n139
            if e > L:
                raise EOFError('string or bytes run past the end')
            v138 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b < 128:
                n141 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n141 = (b >> 1) ^ -(b & 1)
            else:
                n141, p = _long_tail(d, p, b)
            if n141 < 0:
                raise _bad('negative length')
            e = p + n141
            if e > L:
                raise EOFError('string or bytes run past the end')
            v140 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b < 128:
                v142 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                v142 = (b >> 1) ^ -(b & 1)
            else:
                v142, p = _long_tail(d, p, b)
            x132 = {'value': v134, 'value_kind': v136, 'source_tool': v138, 'source_event_id': v140, 'source_seq': v142}
            v130.append(x132)
    b = d[p]
    p += 1
    if b < 128:
        v143 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v143 = (b >> 1) ^ -(b & 1)
    else:
        v143, p = _long_tail(d, p, b)
    v143 = _EPOCH + _td(0, 0, v143)
    out = {'event': v1, 'category': v117, 'labels': v119, 'catalog_entry': v124, 'destination_domain': v126, 'destination_external': v128, 'first_seen_destination': v129, 'provenance': v130, 'enriched_at': v143}
    return out, p


def read_eda0e35e7eedb1f6(d: bytes, p: int) -> tuple[Any, int]:
    out: Any
    v1: Any
    v3: Any
    v5: Any
    v7: Any
    v8: Any
    v10: Any
    v12: Any
    v14: Any
    v16: Any
    v18: Any
    v20: Any
    v22: Any
    v23: Any
    v25: Any
    v27: Any
    v29: Any
    v30: Any
    v32: Any
    v34: Any
    v36: Any
    v38: Any
    v40: Any
    v42: Any
    v44: Any
    v45: Any
    v47: Any
    v49: Any
    v51: Any
    v53: Any
    v55: Any
    v57: Any
    v59: Any
    v60: Any
    v62: Any
    v64: Any
    v66: Any
    v68: Any
    x70: Any
    k71: Any
    v72: Any
    v74: Any
    v76: Any
    v78: Any
    v79: Any
    v81: Any
    v83: Any
    v85: Any
    v87: Any
    v89: Any
    v90: Any
    v92: Any
    v94: Any
    v95: Any
    v96: Any
    v97: Any
    v99: Any
    v100: Any
    v102: Any
    x104: Any
    k105: Any
    v108: Any
    v110: Any
    v112: Any
    v114: Any
    L = len(d)
    b = d[p]
    p += 1
    if b < 128:
        n2 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n2 = (b >> 1) ^ -(b & 1)
    else:
        n2, p = _long_tail(d, p, b)
    if n2 < 0:
        raise _bad('negative length')
    e = p + n2
    if e > L:
        raise EOFError('string or bytes run past the end')
    v1 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        i4 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        i4 = (b >> 1) ^ -(b & 1)
    else:
        i4, p = _long_tail(d, p, b)
    if not 0 <= i4 < 3:
        raise _bad('enum index out of range')
    v3 = _k_eda0e35e7eedb1f6_0[i4]
    b = d[p]
    p += 1
    if b < 128:
        n6 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n6 = (b >> 1) ^ -(b & 1)
    else:
        n6, p = _long_tail(d, p, b)
    if n6 < 0:
        raise _bad('negative length')
    e = p + n6
    if e > L:
        raise EOFError('string or bytes run past the end')
    v5 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        n9 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n9 = (b >> 1) ^ -(b & 1)
    else:
        n9, p = _long_tail(d, p, b)
    if n9 < 0:
        raise _bad('negative length')
    e = p + n9
    if e > L:
        raise EOFError('string or bytes run past the end')
    v8 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b == 0:
        v10 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n11 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n11 = (b >> 1) ^ -(b & 1)
        else:
            n11, p = _long_tail(d, p, b)
        if n11 < 0:
            raise _bad('negative length')
        e = p + n11
        if e > L:
            raise EOFError('string or bytes run past the end')
        v10 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v12 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n13 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n13 = (b >> 1) ^ -(b & 1)
        else:
            n13, p = _long_tail(d, p, b)
        if n13 < 0:
            raise _bad('negative length')
        e = p + n13
        if e > L:
            raise EOFError('string or bytes run past the end')
        v12 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v14 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n15 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n15 = (b >> 1) ^ -(b & 1)
        else:
            n15, p = _long_tail(d, p, b)
        if n15 < 0:
            raise _bad('negative length')
        e = p + n15
        if e > L:
            raise EOFError('string or bytes run past the end')
        v14 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v16 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n17 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n17 = (b >> 1) ^ -(b & 1)
        else:
            n17, p = _long_tail(d, p, b)
        if n17 < 0:
            raise _bad('negative length')
        e = p + n17
        if e > L:
            raise EOFError('string or bytes run past the end')
        v16 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    v7 = {'id': v8, 'name': v10, 'version': v12, 'framework': v14, 'framework_version': v16}
    b = d[p]
    p += 1
    if b == 0:
        v18 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n19 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n19 = (b >> 1) ^ -(b & 1)
        else:
            n19, p = _long_tail(d, p, b)
        if n19 < 0:
            raise _bad('negative length')
        e = p + n19
        if e > L:
            raise EOFError('string or bytes run past the end')
        v18 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        n21 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n21 = (b >> 1) ^ -(b & 1)
    else:
        n21, p = _long_tail(d, p, b)
    if n21 < 0:
        raise _bad('negative length')
    e = p + n21
    if e > L:
        raise EOFError('string or bytes run past the end')
    v20 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        v22 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v22 = (b >> 1) ^ -(b & 1)
    else:
        v22, p = _long_tail(d, p, b)
    b = d[p]
    p += 1
    if b == 0:
        v23 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n24 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n24 = (b >> 1) ^ -(b & 1)
        else:
            n24, p = _long_tail(d, p, b)
        if n24 < 0:
            raise _bad('negative length')
        e = p + n24
        if e > L:
            raise EOFError('string or bytes run past the end')
        v23 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v25 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n26 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n26 = (b >> 1) ^ -(b & 1)
        else:
            n26, p = _long_tail(d, p, b)
        if n26 < 0:
            raise _bad('negative length')
        e = p + n26
        if e > L:
            raise EOFError('string or bytes run past the end')
        v25 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v27 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n28 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n28 = (b >> 1) ^ -(b & 1)
        else:
            n28, p = _long_tail(d, p, b)
        if n28 < 0:
            raise _bad('negative length')
        e = p + n28
        if e > L:
            raise EOFError('string or bytes run past the end')
        v27 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v29 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n31 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n31 = (b >> 1) ^ -(b & 1)
        else:
            n31, p = _long_tail(d, p, b)
        if n31 < 0:
            raise _bad('negative length')
        e = p + n31
        if e > L:
            raise EOFError('string or bytes run past the end')
        v30 = d[p:e].decode()
        p = e
        b = d[p]
        p += 1
        if b == 0:
            v32 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n33 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n33 = (b >> 1) ^ -(b & 1)
            else:
                n33, p = _long_tail(d, p, b)
            if n33 < 0:
                raise _bad('negative length')
            e = p + n33
            if e > L:
                raise EOFError('string or bytes run past the end')
            v32 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v34 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n35 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n35 = (b >> 1) ^ -(b & 1)
            else:
                n35, p = _long_tail(d, p, b)
            if n35 < 0:
                raise _bad('negative length')
            e = p + n35
            if e > L:
                raise EOFError('string or bytes run past the end')
            v34 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v36 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n37 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n37 = (b >> 1) ^ -(b & 1)
            else:
                n37, p = _long_tail(d, p, b)
            if n37 < 0:
                raise _bad('negative length')
            e = p + n37
            if e > L:
                raise EOFError('string or bytes run past the end')
            v36 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v38 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n39 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n39 = (b >> 1) ^ -(b & 1)
            else:
                n39, p = _long_tail(d, p, b)
            if n39 < 0:
                raise _bad('negative length')
            e = p + n39
            if e > L:
                raise EOFError('string or bytes run past the end')
            v38 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        v29 = {'name': v30, 'call_id': v32, 'type': v34, 'server': v36, 'definition_sha256': v38}
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        i41 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        i41 = (b >> 1) ^ -(b & 1)
    else:
        i41, p = _long_tail(d, p, b)
    if not 0 <= i41 < 4:
        raise _bad('enum index out of range')
    v40 = _k_eda0e35e7eedb1f6_1[i41]
    b = d[p]
    p += 1
    if b < 128:
        i43 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        i43 = (b >> 1) ^ -(b & 1)
    else:
        i43, p = _long_tail(d, p, b)
    if not 0 <= i43 < 4:
        raise _bad('enum index out of range')
    v42 = _k_eda0e35e7eedb1f6_2[i43]
    b = d[p]
    p += 1
    if b == 0:
        v44 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            i46 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            i46 = (b >> 1) ^ -(b & 1)
        else:
            i46, p = _long_tail(d, p, b)
        if not 0 <= i46 < 3:
            raise _bad('enum index out of range')
        v45 = _k_eda0e35e7eedb1f6_3[i46]
        b = d[p]
        p += 1
        if b == 0:
            v47 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n48 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n48 = (b >> 1) ^ -(b & 1)
            else:
                n48, p = _long_tail(d, p, b)
            if n48 < 0:
                raise _bad('negative length')
            e = p + n48
            if e > L:
                raise EOFError('string or bytes run past the end')
            v47 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v49 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n50 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n50 = (b >> 1) ^ -(b & 1)
            else:
                n50, p = _long_tail(d, p, b)
            if n50 < 0:
                raise _bad('negative length')
            e = p + n50
            if e > L:
                raise EOFError('string or bytes run past the end')
            v49 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v51 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n52 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n52 = (b >> 1) ^ -(b & 1)
            else:
                n52, p = _long_tail(d, p, b)
            if n52 < 0:
                raise _bad('negative length')
            e = p + n52
            if e > L:
                raise EOFError('string or bytes run past the end')
            v51 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        v44 = {'verdict': v45, 'policy_id': v47, 'decided_by': v49, 'reason': v51}
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v53 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            i54 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            i54 = (b >> 1) ^ -(b & 1)
        else:
            i54, p = _long_tail(d, p, b)
        if not 0 <= i54 < 5:
            raise _bad('enum index out of range')
        v53 = _k_eda0e35e7eedb1f6_4[i54]
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v55 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n56 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n56 = (b >> 1) ^ -(b & 1)
        else:
            n56, p = _long_tail(d, p, b)
        if n56 < 0:
            raise _bad('negative length')
        e = p + n56
        if e > L:
            raise EOFError('string or bytes run past the end')
        v55 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v57 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n58 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n58 = (b >> 1) ^ -(b & 1)
        else:
            n58, p = _long_tail(d, p, b)
        if n58 < 0:
            raise _bad('negative length')
        e = p + n58
        if e > L:
            raise EOFError('string or bytes run past the end')
        v57 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v59 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            v59 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            v59 = (b >> 1) ^ -(b & 1)
        else:
            v59, p = _long_tail(d, p, b)
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v60 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n61 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n61 = (b >> 1) ^ -(b & 1)
        else:
            n61, p = _long_tail(d, p, b)
        if n61 < 0:
            raise _bad('negative length')
        e = p + n61
        if e > L:
            raise EOFError('string or bytes run past the end')
        v60 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v62 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n63 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n63 = (b >> 1) ^ -(b & 1)
        else:
            n63, p = _long_tail(d, p, b)
        if n63 < 0:
            raise _bad('negative length')
        e = p + n63
        if e > L:
            raise EOFError('string or bytes run past the end')
        v62 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v64 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n65 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n65 = (b >> 1) ^ -(b & 1)
        else:
            n65, p = _long_tail(d, p, b)
        if n65 < 0:
            raise _bad('negative length')
        e = p + n65
        if e > L:
            raise EOFError('string or bytes run past the end')
        v64 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v66 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n67 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n67 = (b >> 1) ^ -(b & 1)
        else:
            n67, p = _long_tail(d, p, b)
        if n67 < 0:
            raise _bad('negative length')
        e = p + n67
        if e > L:
            raise EOFError('string or bytes run past the end')
        v66 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    v68 = []
    while True:
        b = d[p]
        p += 1
        if b < 128:
            c69 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            c69 = (b >> 1) ^ -(b & 1)
        else:
            c69, p = _long_tail(d, p, b)
        if c69 == 0:
            break
        if c69 < 0:
            c69 = -c69
            b = d[p]
            p += 1
            if b < 128:
                _ = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                _ = (b >> 1) ^ -(b & 1)
            else:
                _, p = _long_tail(d, p, b)
        if c69 > L - p:
            raise EOFError('block count runs past the end')
        for _ in range(c69):
            b = d[p]
            p += 1
            if b < 128:
                n73 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n73 = (b >> 1) ^ -(b & 1)
            else:
                n73, p = _long_tail(d, p, b)
            if n73 < 0:
                raise _bad('negative length')
            e = p + n73
            if e > L:
                raise EOFError('string or bytes run past the end')
            v72 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b < 128:
                n75 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n75 = (b >> 1) ^ -(b & 1)
            else:
                n75, p = _long_tail(d, p, b)
            if n75 < 0:
                raise _bad('negative length')
            e = p + n75
            if e > L:
                raise EOFError('string or bytes run past the end')
            v74 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b == 0:
                v76 = None
            elif b == 2:
                b = d[p]
                p += 1
                if b < 128:
                    n77 = (b >> 1) ^ -(b & 1)
                elif d[p] < 128:
                    b = (b & 127) | (d[p] << 7)
                    p += 1
                    n77 = (b >> 1) ^ -(b & 1)
                else:
                    n77, p = _long_tail(d, p, b)
                if n77 < 0:
                    raise _bad('negative length')
                e = p + n77
                if e > L:
                    raise EOFError('string or bytes run past the end')
                v76 = d[p:e].decode()
                p = e
            else:
                raise _bad('union index out of range')
            x70 = {'path': v72, 'rule': v74, 'value_hmac': v76}
            v68.append(x70)
    b = d[p]
    p += 1
    if b == 0:
        v78 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b == 0:
            v79 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n80 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n80 = (b >> 1) ^ -(b & 1)
            else:
                n80, p = _long_tail(d, p, b)
            if n80 < 0:
                raise _bad('negative length')
            e = p + n80
            if e > L:
                raise EOFError('string or bytes run past the end')
            v79 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v81 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n82 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n82 = (b >> 1) ^ -(b & 1)
            else:
                n82, p = _long_tail(d, p, b)
            if n82 < 0:
                raise _bad('negative length')
            e = p + n82
            if e > L:
                raise EOFError('string or bytes run past the end')
            v81 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v83 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n84 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n84 = (b >> 1) ^ -(b & 1)
            else:
                n84, p = _long_tail(d, p, b)
            if n84 < 0:
                raise _bad('negative length')
            e = p + n84
            if e > L:
                raise EOFError('string or bytes run past the end')
            v83 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v85 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n86 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n86 = (b >> 1) ^ -(b & 1)
            else:
                n86, p = _long_tail(d, p, b)
            if n86 < 0:
                raise _bad('negative length')
            e = p + n86
            if e > L:
                raise EOFError('string or bytes run past the end')
            v85 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v87 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n88 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n88 = (b >> 1) ^ -(b & 1)
            else:
                n88, p = _long_tail(d, p, b)
            if n88 < 0:
                raise _bad('negative length')
            e = p + n88
            if e > L:
                raise EOFError('string or bytes run past the end')
            v87 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        v78 = {'model': v79, 'generation_id': v81, 'prompt_sha256': v83, 'response_sha256': v85, 'reasoning_excerpt': v87}
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v89 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b == 0:
            v90 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n91 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n91 = (b >> 1) ^ -(b & 1)
            else:
                n91, p = _long_tail(d, p, b)
            if n91 < 0:
                raise _bad('negative length')
            e = p + n91
            if e > L:
                raise EOFError('string or bytes run past the end')
            v90 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        b = d[p]
        p += 1
        if b == 0:
            v92 = None
        elif b == 2:
            b = d[p]
            p += 1
            if b < 128:
                n93 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n93 = (b >> 1) ^ -(b & 1)
            else:
                n93, p = _long_tail(d, p, b)
            if n93 < 0:
                raise _bad('negative length')
            e = p + n93
            if e > L:
                raise EOFError('string or bytes run past the end')
            v92 = d[p:e].decode()
            p = e
        else:
            raise _bad('union index out of range')
        v89 = {'identity': v90, 'scope': v92}
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        v94 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v94 = (b >> 1) ^ -(b & 1)
    else:
        v94, p = _long_tail(d, p, b)
    v94 = _EPOCH + _td(0, 0, v94)
    b = d[p]
    p += 1
    if b == 0:
        v95 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            v95 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            v95 = (b >> 1) ^ -(b & 1)
        else:
            v95, p = _long_tail(d, p, b)
        v95 = _EPOCH + _td(0, 0, v95)
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        n98 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n98 = (b >> 1) ^ -(b & 1)
    else:
        n98, p = _long_tail(d, p, b)
    if n98 < 0:
        raise _bad('negative length')
    e = p + n98
    if e > L:
        raise EOFError('string or bytes run past the end')
    v97 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b < 128:
        v99 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        v99 = (b >> 1) ^ -(b & 1)
    else:
        v99, p = _long_tail(d, p, b)
    b = d[p]
    p += 1
    if b < 128:
        n101 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n101 = (b >> 1) ^ -(b & 1)
    else:
        n101, p = _long_tail(d, p, b)
    if n101 < 0:
        raise _bad('negative length')
    e = p + n101
    if e > L:
        raise EOFError('string or bytes run past the end')
    v100 = d[p:e].decode()
    p = e
    v96 = {'host': v97, 'pid': v99, 'sdk_version': v100}
    v102 = {}
    while True:
        b = d[p]
        p += 1
        if b < 128:
            c103 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            c103 = (b >> 1) ^ -(b & 1)
        else:
            c103, p = _long_tail(d, p, b)
        if c103 == 0:
            break
        if c103 < 0:
            c103 = -c103
            b = d[p]
            p += 1
            if b < 128:
                _ = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                _ = (b >> 1) ^ -(b & 1)
            else:
                _, p = _long_tail(d, p, b)
        if c103 > L - p:
            raise EOFError('block count runs past the end')
        for _ in range(c103):
            b = d[p]
            p += 1
            if b < 128:
                n106 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n106 = (b >> 1) ^ -(b & 1)
            else:
                n106, p = _long_tail(d, p, b)
            if n106 < 0:
                raise _bad('negative length')
            e = p + n106
            if e > L:
                raise EOFError('string or bytes run past the end')
            k105 = d[p:e].decode()
            p = e
            b = d[p]
            p += 1
            if b < 128:
                n107 = (b >> 1) ^ -(b & 1)
            elif d[p] < 128:
                b = (b & 127) | (d[p] << 7)
                p += 1
                n107 = (b >> 1) ^ -(b & 1)
            else:
                n107, p = _long_tail(d, p, b)
            if n107 < 0:
                raise _bad('negative length')
            e = p + n107
            if e > L:
                raise EOFError('string or bytes run past the end')
            x104 = d[p:e].decode()
            p = e
            v102[k105] = x104
    b = d[p]
    p += 1
    if b == 0:
        v108 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n109 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n109 = (b >> 1) ^ -(b & 1)
        else:
            n109, p = _long_tail(d, p, b)
        if n109 < 0:
            raise _bad('negative length')
        e = p + n109
        if e > L:
            raise EOFError('string or bytes run past the end')
        v108 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b < 128:
        n111 = (b >> 1) ^ -(b & 1)
    elif d[p] < 128:
        b = (b & 127) | (d[p] << 7)
        p += 1
        n111 = (b >> 1) ^ -(b & 1)
    else:
        n111, p = _long_tail(d, p, b)
    if n111 < 0:
        raise _bad('negative length')
    e = p + n111
    if e > L:
        raise EOFError('string or bytes run past the end')
    v110 = d[p:e].decode()
    p = e
    b = d[p]
    p += 1
    if b == 0:
        v112 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n113 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n113 = (b >> 1) ^ -(b & 1)
        else:
            n113, p = _long_tail(d, p, b)
        if n113 < 0:
            raise _bad('negative length')
        e = p + n113
        if e > L:
            raise EOFError('string or bytes run past the end')
        v112 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    b = d[p]
    p += 1
    if b == 0:
        v114 = None
    elif b == 2:
        b = d[p]
        p += 1
        if b < 128:
            n115 = (b >> 1) ^ -(b & 1)
        elif d[p] < 128:
            b = (b & 127) | (d[p] << 7)
            p += 1
            n115 = (b >> 1) ^ -(b & 1)
        else:
            n115, p = _long_tail(d, p, b)
        if n115 < 0:
            raise _bad('negative length')
        e = p + n115
        if e > L:
            raise EOFError('string or bytes run past the end')
        v114 = d[p:e].decode()
        p = e
    else:
        raise _bad('union index out of range')
    out = {'event_id': v1, 'kind': v3, 'tenant_id': v5, 'agent': v7, 'principal': v18, 'session_id': v20, 'seq': v22, 'trace_id': v23, 'span_id': v25, 'parent_span_id': v27, 'tool': v29, 'capture_level': v40, 'stage': v42, 'decision': v44, 'outcome': v53, 'error_type': v55, 'error_message': v57, 'duration_us': v59, 'arguments': v60, 'arguments_sha256': v62, 'result': v64, 'result_sha256': v66, 'redactions': v68, 'why': v78, 'credential': v89, 'started_at': v94, 'ended_at': v95, 'producer': v96, 'attributes': v102, 'prev_hash': v108, 'event_hash': v110, 'signature': v112, 'key_id': v114}
    return out, p


READERS: dict[bytes, Reader] = {
    bytes.fromhex('653d7b7767dcda21'): read_653d7b7767dcda21,
    bytes.fromhex('6e50b06e3a6ea507'): read_6e50b06e3a6ea507,
    bytes.fromhex('94233fe93eea8db3'): read_94233fe93eea8db3,
    bytes.fromhex('eda0e35e7eedb1f6'): read_eda0e35e7eedb1f6,
}
