"""Avro writers of the bundled schemas. Generated: do not edit.

Regenerate with ``make generated`` (tooltrail.producer.avro_fast.module_source); a
unit test fails while this file differs from what the generator writes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import datetime as DT
from typing import Any

from tooltrail.producer.avro_fast import _EPOCH as EPOCH
from tooltrail.producer.avro_fast import _HIGH as HIGH
from tooltrail.producer.avro_fast import _LEN as LEN
from tooltrail.producer.avro_fast import _LOW14 as LOW14
from tooltrail.producer.avro_fast import _SMALL as SM
from tooltrail.producer.avro_fast import _ts_bytes as TS
from tooltrail.producer.avro_fast import _utf8 as U
from tooltrail.producer.avro_fast import encode_long as L

D = struct.Struct("<d").pack
F = struct.Struct("<f").pack
Z = b"\x00"
HEADER_w0_ = b'\xc3\x01\xed\xa0\xe3^~\xed\xb1\xf6'
E_w0_3: dict[str, bytes] = {'tool_call': SM[64], 'session_start': SM[65], 'session_end': SM[66]}
C_w0_22: list[tuple[Any, bytes]] = [(None, b"")]
C_w0_57: list[tuple[Any, bytes]] = [(None, b"")]
E_w0_60: dict[str, bytes] = {'none': SM[64], 'metadata': SM[65], 'request': SM[66], 'request_response': SM[67]}
E_w0_61: dict[str, bytes] = {'requested': SM[64], 'decided': SM[65], 'started': SM[66], 'completed': SM[67]}
E_w0_64: dict[str, bytes] = {'allow': SM[64], 'deny': SM[65], 'approval_required': SM[66]}
C_w0_75: list[tuple[Any, bytes]] = [(None, b"")]
E_w0_79: dict[str, bytes] = {'success': SM[64], 'error': SM[65], 'denied': SM[66], 'timeout': SM[67], 'cancelled': SM[68]}
C_w0_127: list[tuple[Any, bytes]] = [(None, b"")]
C_w0_139: list[tuple[Any, bytes]] = [(None, b"")]
C_w0_158: list[tuple[Any, bytes]] = [(None, b"")]


def R_w0_6(r: Any) -> bytes:
    return b''.join(((LEN[n_w0_8] if (n_w0_8 := len(e_w0_7 := U(r['id']))) < 4096 else L(n_w0_8)), e_w0_7, (Z if (v_w0_9 := r['name']) is None else b'\x02' + (LEN[n_w0_11] if (n_w0_11 := len(e_w0_10 := U(v_w0_9))) < 4096 else L(n_w0_11)) + e_w0_10), (Z if (v_w0_12 := r['version']) is None else b'\x02' + (LEN[n_w0_14] if (n_w0_14 := len(e_w0_13 := U(v_w0_12))) < 4096 else L(n_w0_14)) + e_w0_13), (Z if (v_w0_15 := r['framework']) is None else b'\x02' + (LEN[n_w0_17] if (n_w0_17 := len(e_w0_16 := U(v_w0_15))) < 4096 else L(n_w0_17)) + e_w0_16), (Z if (v_w0_18 := r['framework_version']) is None else b'\x02' + (LEN[n_w0_20] if (n_w0_20 := len(e_w0_19 := U(v_w0_18))) < 4096 else L(n_w0_20)) + e_w0_19),))

def RC_w0_21(r: Any) -> bytes:
    out = R_w0_6(r)
    if r.__class__ is dict:
        C_w0_22[0] = (dict(r), out)
    return out

def R_w0_41(r: Any) -> bytes:
    return b''.join(((LEN[n_w0_43] if (n_w0_43 := len(e_w0_42 := U(r['name']))) < 4096 else L(n_w0_43)), e_w0_42, (Z if (v_w0_44 := r['call_id']) is None else b'\x02' + (LEN[n_w0_46] if (n_w0_46 := len(e_w0_45 := U(v_w0_44))) < 4096 else L(n_w0_46)) + e_w0_45), (Z if (v_w0_47 := r['type']) is None else b'\x02' + (LEN[n_w0_49] if (n_w0_49 := len(e_w0_48 := U(v_w0_47))) < 4096 else L(n_w0_49)) + e_w0_48), (Z if (v_w0_50 := r['server']) is None else b'\x02' + (LEN[n_w0_52] if (n_w0_52 := len(e_w0_51 := U(v_w0_50))) < 4096 else L(n_w0_52)) + e_w0_51), (Z if (v_w0_53 := r['definition_sha256']) is None else b'\x02' + (LEN[n_w0_55] if (n_w0_55 := len(e_w0_54 := U(v_w0_53))) < 4096 else L(n_w0_55)) + e_w0_54),))

def RC_w0_56(r: Any) -> bytes:
    out = R_w0_41(r)
    if r.__class__ is dict:
        C_w0_57[0] = (dict(r), out)
    return out

def R_w0_63(r: Any) -> bytes:
    return b''.join((E_w0_64[r['verdict']], (Z if (v_w0_65 := r['policy_id']) is None else b'\x02' + (LEN[n_w0_67] if (n_w0_67 := len(e_w0_66 := U(v_w0_65))) < 4096 else L(n_w0_67)) + e_w0_66), (Z if (v_w0_68 := r['decided_by']) is None else b'\x02' + (LEN[n_w0_70] if (n_w0_70 := len(e_w0_69 := U(v_w0_68))) < 4096 else L(n_w0_70)) + e_w0_69), (Z if (v_w0_71 := r['reason']) is None else b'\x02' + (LEN[n_w0_73] if (n_w0_73 := len(e_w0_72 := U(v_w0_71))) < 4096 else L(n_w0_73)) + e_w0_72),))

def RC_w0_74(r: Any) -> bytes:
    out = R_w0_63(r)
    if r.__class__ is dict:
        C_w0_75[0] = (dict(r), out)
    return out

def R_w0_101(r: Any) -> bytes:
    return b''.join(((LEN[n_w0_103] if (n_w0_103 := len(e_w0_102 := U(r['path']))) < 4096 else L(n_w0_103)), e_w0_102, (LEN[n_w0_105] if (n_w0_105 := len(e_w0_104 := U(r['rule']))) < 4096 else L(n_w0_105)), e_w0_104, (Z if (v_w0_106 := r['value_hmac']) is None else b'\x02' + (LEN[n_w0_108] if (n_w0_108 := len(e_w0_107 := U(v_w0_106))) < 4096 else L(n_w0_108)) + e_w0_107),))

def A_w0_100(v: Any) -> bytes:
    if not v:
        return Z
    out = [L(len(v))]
    a = out.extend
    for x in v:
        a((R_w0_101(x),))
    out.append(Z)
    return b''.join(out)

def R_w0_110(r: Any) -> bytes:
    return b''.join(((Z if (v_w0_111 := r['model']) is None else b'\x02' + (LEN[n_w0_113] if (n_w0_113 := len(e_w0_112 := U(v_w0_111))) < 4096 else L(n_w0_113)) + e_w0_112), (Z if (v_w0_114 := r['generation_id']) is None else b'\x02' + (LEN[n_w0_116] if (n_w0_116 := len(e_w0_115 := U(v_w0_114))) < 4096 else L(n_w0_116)) + e_w0_115), (Z if (v_w0_117 := r['prompt_sha256']) is None else b'\x02' + (LEN[n_w0_119] if (n_w0_119 := len(e_w0_118 := U(v_w0_117))) < 4096 else L(n_w0_119)) + e_w0_118), (Z if (v_w0_120 := r['response_sha256']) is None else b'\x02' + (LEN[n_w0_122] if (n_w0_122 := len(e_w0_121 := U(v_w0_120))) < 4096 else L(n_w0_122)) + e_w0_121), (Z if (v_w0_123 := r['reasoning_excerpt']) is None else b'\x02' + (LEN[n_w0_125] if (n_w0_125 := len(e_w0_124 := U(v_w0_123))) < 4096 else L(n_w0_125)) + e_w0_124),))

def RC_w0_126(r: Any) -> bytes:
    out = R_w0_110(r)
    if r.__class__ is dict:
        C_w0_127[0] = (dict(r), out)
    return out

def R_w0_131(r: Any) -> bytes:
    return b''.join(((Z if (v_w0_132 := r['identity']) is None else b'\x02' + (LEN[n_w0_134] if (n_w0_134 := len(e_w0_133 := U(v_w0_132))) < 4096 else L(n_w0_134)) + e_w0_133), (Z if (v_w0_135 := r['scope']) is None else b'\x02' + (LEN[n_w0_137] if (n_w0_137 := len(e_w0_136 := U(v_w0_135))) < 4096 else L(n_w0_137)) + e_w0_136),))

def RC_w0_138(r: Any) -> bytes:
    out = R_w0_131(r)
    if r.__class__ is dict:
        C_w0_139[0] = (dict(r), out)
    return out

def R_w0_151(r: Any) -> bytes:
    return b''.join(((LEN[n_w0_153] if (n_w0_153 := len(e_w0_152 := U(r['host']))) < 4096 else L(n_w0_153)), e_w0_152, (SM[x_w0_154 + 64] if -64 <= (x_w0_154 := r['pid']) < 4096 else L(x_w0_154)), (LEN[n_w0_156] if (n_w0_156 := len(e_w0_155 := U(r['sdk_version']))) < 4096 else L(n_w0_156)), e_w0_155,))

def RC_w0_157(r: Any) -> bytes:
    out = R_w0_151(r)
    if r.__class__ is dict:
        C_w0_158[0] = (dict(r), out)
    return out

def A_w0_161(v: Any) -> bytes:
    if not v:
        return Z
    out = [L(len(v))]
    a = out.extend
    for k, x in v.items():
        a(((LEN[n_w0_163] if (n_w0_163 := len(e_w0_162 := U(k))) < 4096 else L(n_w0_163)), e_w0_162, (LEN[n_w0_165] if (n_w0_165 := len(e_w0_164 := U(x))) < 4096 else L(n_w0_165)), e_w0_164,))
    out.append(Z)
    return b''.join(out)

def write_w0_(r: Any) -> bytes:
    return b''.join((HEADER_w0_, (LEN[n_w0_2] if (n_w0_2 := len(e_w0_1 := U(r['event_id']))) < 4096 else L(n_w0_2)), e_w0_1, E_w0_3[r['kind']], (LEN[n_w0_5] if (n_w0_5 := len(e_w0_4 := U(r['tenant_id']))) < 4096 else L(n_w0_5)), e_w0_4, (c_w0_24[1] if (v_w0_23 := r['agent']).__class__ is dict and v_w0_23 == (c_w0_24 := C_w0_22[0])[0] else RC_w0_21(v_w0_23)), (Z if (v_w0_25 := r['principal']) is None else b'\x02' + (LEN[n_w0_27] if (n_w0_27 := len(e_w0_26 := U(v_w0_25))) < 4096 else L(n_w0_27)) + e_w0_26), (LEN[n_w0_29] if (n_w0_29 := len(e_w0_28 := U(r['session_id']))) < 4096 else L(n_w0_29)), e_w0_28, (SM[x_w0_30 + 64] if -64 <= (x_w0_30 := r['seq']) < 4096 else L(x_w0_30)), (Z if (v_w0_31 := r['trace_id']) is None else b'\x02' + (LEN[n_w0_33] if (n_w0_33 := len(e_w0_32 := U(v_w0_31))) < 4096 else L(n_w0_33)) + e_w0_32), (Z if (v_w0_34 := r['span_id']) is None else b'\x02' + (LEN[n_w0_36] if (n_w0_36 := len(e_w0_35 := U(v_w0_34))) < 4096 else L(n_w0_36)) + e_w0_35), (Z if (v_w0_37 := r['parent_span_id']) is None else b'\x02' + (LEN[n_w0_39] if (n_w0_39 := len(e_w0_38 := U(v_w0_37))) < 4096 else L(n_w0_39)) + e_w0_38), (Z if (v_w0_40 := r['tool']) is None else b'\x02' + (c_w0_59[1] if (v_w0_58 := v_w0_40).__class__ is dict and v_w0_58 == (c_w0_59 := C_w0_57[0])[0] else RC_w0_56(v_w0_58))), E_w0_60[r['capture_level']], E_w0_61[r['stage']], (Z if (v_w0_62 := r['decision']) is None else b'\x02' + (c_w0_77[1] if (v_w0_76 := v_w0_62).__class__ is dict and v_w0_76 == (c_w0_77 := C_w0_75[0])[0] else RC_w0_74(v_w0_76))), (Z if (v_w0_78 := r['outcome']) is None else b'\x02' + E_w0_79[v_w0_78]), (Z if (v_w0_80 := r['error_type']) is None else b'\x02' + (LEN[n_w0_82] if (n_w0_82 := len(e_w0_81 := U(v_w0_80))) < 4096 else L(n_w0_82)) + e_w0_81), (Z if (v_w0_83 := r['error_message']) is None else b'\x02' + (LEN[n_w0_85] if (n_w0_85 := len(e_w0_84 := U(v_w0_83))) < 4096 else L(n_w0_85)) + e_w0_84), (Z if (v_w0_86 := r['duration_us']) is None else b'\x02' + (SM[x_w0_87 + 64] if -64 <= (x_w0_87 := v_w0_86) < 4096 else L(x_w0_87))), (Z if (v_w0_88 := r['arguments']) is None else b'\x02' + (LEN[n_w0_90] if (n_w0_90 := len(e_w0_89 := U(v_w0_88))) < 4096 else L(n_w0_90)) + e_w0_89), (Z if (v_w0_91 := r['arguments_sha256']) is None else b'\x02' + (LEN[n_w0_93] if (n_w0_93 := len(e_w0_92 := U(v_w0_91))) < 4096 else L(n_w0_93)) + e_w0_92), (Z if (v_w0_94 := r['result']) is None else b'\x02' + (LEN[n_w0_96] if (n_w0_96 := len(e_w0_95 := U(v_w0_94))) < 4096 else L(n_w0_96)) + e_w0_95), (Z if (v_w0_97 := r['result_sha256']) is None else b'\x02' + (LEN[n_w0_99] if (n_w0_99 := len(e_w0_98 := U(v_w0_97))) < 4096 else L(n_w0_99)) + e_w0_98), A_w0_100(r['redactions']), (Z if (v_w0_109 := r['why']) is None else b'\x02' + (c_w0_129[1] if (v_w0_128 := v_w0_109).__class__ is dict and v_w0_128 == (c_w0_129 := C_w0_127[0])[0] else RC_w0_126(v_w0_128))), (Z if (v_w0_130 := r['credential']) is None else b'\x02' + (c_w0_141[1] if (v_w0_140 := v_w0_130).__class__ is dict and v_w0_140 == (c_w0_141 := C_w0_139[0])[0] else RC_w0_138(v_w0_140))), (TS(v_w0_142) if (v_w0_142 := r['started_at']).__class__ is not DT or v_w0_142.tzinfo is None else (LOW14[(x_w0_144 << 1) & 0x3FFF] + h_w0_145 if (h_w0_145 := HIGH.get((x_w0_144 := (((d_w0_143 := v_w0_142 - EPOCH).days * 86400 + d_w0_143.seconds) * 1000000 + d_w0_143.microseconds)) >> 13)) is not None and x_w0_144 >= 16384 else L(x_w0_144))), (Z if (v_w0_146 := r['ended_at']) is None else b'\x02' + (TS(v_w0_147) if (v_w0_147 := v_w0_146).__class__ is not DT or v_w0_147.tzinfo is None else (LOW14[(x_w0_149 << 1) & 0x3FFF] + h_w0_150 if (h_w0_150 := HIGH.get((x_w0_149 := (((d_w0_148 := v_w0_147 - EPOCH).days * 86400 + d_w0_148.seconds) * 1000000 + d_w0_148.microseconds)) >> 13)) is not None and x_w0_149 >= 16384 else L(x_w0_149)))), (c_w0_160[1] if (v_w0_159 := r['producer']).__class__ is dict and v_w0_159 == (c_w0_160 := C_w0_158[0])[0] else RC_w0_157(v_w0_159)), A_w0_161(r['attributes']), (Z if (v_w0_166 := r['prev_hash']) is None else b'\x02' + (LEN[n_w0_168] if (n_w0_168 := len(e_w0_167 := U(v_w0_166))) < 4096 else L(n_w0_168)) + e_w0_167), (LEN[n_w0_170] if (n_w0_170 := len(e_w0_169 := U(r['event_hash']))) < 4096 else L(n_w0_170)), e_w0_169, (Z if (v_w0_171 := r['signature']) is None else b'\x02' + (LEN[n_w0_173] if (n_w0_173 := len(e_w0_172 := U(v_w0_171))) < 4096 else L(n_w0_173)) + e_w0_172), (Z if (v_w0_174 := r['key_id']) is None else b'\x02' + (LEN[n_w0_176] if (n_w0_176 := len(e_w0_175 := U(v_w0_174))) < 4096 else L(n_w0_176)) + e_w0_175)))
HEADER_w1_ = b''


def A_w1_3(v: Any) -> bytes:
    if not v:
        return Z
    out = [L(len(v))]
    a = out.extend
    for x in v:
        a(((LEN[n_w1_5] if (n_w1_5 := len(e_w1_4 := U(x))) < 4096 else L(n_w1_5)), e_w1_4,))
    out.append(Z)
    return b''.join(out)

def R_w1_14(r: Any) -> bytes:
    return b''.join(((LEN[n_w1_16] if (n_w1_16 := len(e_w1_15 := U(r['value']))) < 4096 else L(n_w1_16)), e_w1_15, (LEN[n_w1_18] if (n_w1_18 := len(e_w1_17 := U(r['value_kind']))) < 4096 else L(n_w1_18)), e_w1_17, (LEN[n_w1_20] if (n_w1_20 := len(e_w1_19 := U(r['source_tool']))) < 4096 else L(n_w1_20)), e_w1_19, (LEN[n_w1_22] if (n_w1_22 := len(e_w1_21 := U(r['source_event_id']))) < 4096 else L(n_w1_22)), e_w1_21, (SM[x_w1_23 + 64] if -64 <= (x_w1_23 := r['source_seq']) < 4096 else L(x_w1_23)),))

def A_w1_13(v: Any) -> bytes:
    if not v:
        return Z
    out = [L(len(v))]
    a = out.extend
    for x in v:
        a((R_w1_14(x),))
    out.append(Z)
    return b''.join(out)

def write_w1_(r: Any) -> bytes:
    return b''.join((HEADER_w1_, (LEN[n_w1_2] if (n_w1_2 := len(e_w1_1 := U(r['category']))) < 4096 else L(n_w1_2)), e_w1_1, A_w1_3(r['labels']), (Z if (v_w1_6 := r['catalog_entry']) is None else b'\x02' + (LEN[n_w1_8] if (n_w1_8 := len(e_w1_7 := U(v_w1_6))) < 4096 else L(n_w1_8)) + e_w1_7), (Z if (v_w1_9 := r['destination_domain']) is None else b'\x02' + (LEN[n_w1_11] if (n_w1_11 := len(e_w1_10 := U(v_w1_9))) < 4096 else L(n_w1_11)) + e_w1_10), (Z if (v_w1_12 := r['destination_external']) is None else b'\x02' + (b'\x01' if v_w1_12 else Z)), (b'\x01' if r['first_seen_destination'] else Z), A_w1_13(r['provenance']), (TS(v_w1_24) if (v_w1_24 := r['enriched_at']).__class__ is not DT or v_w1_24.tzinfo is None else (LOW14[(x_w1_26 << 1) & 0x3FFF] + h_w1_27 if (h_w1_27 := HIGH.get((x_w1_26 := (((d_w1_25 := v_w1_24 - EPOCH).days * 86400 + d_w1_25.seconds) * 1000000 + d_w1_25.microseconds)) >> 13)) is not None and x_w1_26 >= 16384 else L(x_w1_26)))))


WRITERS: dict[str, Callable[[Any], bytes]] = {
    'b54166606be3908cf91d733fb3e11e4a': write_w0_,
    '13ce912f0133a8e55ae07a5f250f6fc4': write_w1_,
}
