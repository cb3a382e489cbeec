// Protobuf, as the daemon's messages need it, driven by the schema table the
// build derives from the .proto files (schema.js): varints (and zigzag),
// 32/64-bit fixed values, length-delimited strings, bytes and messages,
// packed and unpacked repeated scalars, oneofs, proto3 `optional`; fields the
// table does not know are skipped. 64-bit integers become Numbers (exact up
// to 2^53: row indices and milliseconds stay far below).

import { ENUMS, MESSAGES } from "./schema.js";

const REPEATED = 1;
const OPTIONAL = 2;
const IN_ONEOF = 4;

const utf8 = new TextDecoder("utf-8");
const toUtf8 = new TextEncoder();

/** The value of `name` in enum `type` (`enumValue("Role", "ROLE_EDITOR")`). */
export function enumValue(type, name) {
  const v = ENUMS[type]?.[name];
  if (v === undefined) throw new Error(`no value ${name} in enum ${type}`);
  return v;
}

function fieldsOf(type) {
  const fields = MESSAGES[type];
  if (!fields) throw new Error(`no message ${type} in the schema`);
  return fields;
}

// ---------------------------------------------------------------------------
// Decoding

class Reader {
  constructor(bytes) {
    this.buf = bytes;
    this.pos = 0;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A varint as its low and high 32 bits (unsigned). */
  varint() {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.buf.length) throw new Error("protobuf: truncated varint");
      const b = this.buf[this.pos++];
      const bits = b & 0x7f;
      if (shift < 28) {
        lo |= bits << shift;
      } else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >> 4;
      } else {
        hi |= bits << (shift - 32);
      }
      if ((b & 0x80) === 0) return [lo >>> 0, hi >>> 0];
    }
    throw new Error("protobuf: varint too long");
  }

  bytes(n) {
    if (this.pos + n > this.buf.length) throw new Error("protobuf: truncated field");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  lengthDelimited() {
    const [len] = this.varint();
    return this.bytes(len);
  }

  skip(wire) {
    switch (wire) {
      case 0: this.varint(); break;
      case 1: this.bytes(8); break;
      case 2: this.lengthDelimited(); break;
      case 5: this.bytes(4); break;
      default: throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
  }
}

const TWO_32 = 2 ** 32;

function unsigned64(lo, hi) {
  return hi * TWO_32 + lo;
}

function signed64(lo, hi) {
  if (hi & 0x80000000) {
    // Two's complement: -(~value + 1).
    const nlo = (~lo + 1) >>> 0;
    const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
    return -(nhi * TWO_32 + nlo);
  }
  return unsigned64(lo, hi);
}

function zigzag64(lo, hi) {
  const negative = lo & 1;
  const mlo = ((lo >>> 1) | (hi << 31)) >>> 0;
  const mhi = hi >>> 1;
  const magnitude = unsigned64(mlo, mhi);
  return negative ? -magnitude - 1 : magnitude;
}

/** A scalar of `type` whose wire form is `wire`, from the reader. */
function readScalar(r, type) {
  switch (type) {
    case "uint32": return r.varint()[0];
    case "int32":
    case "enum": return r.varint()[0] | 0;
    case "sint32": { const [lo] = r.varint(); return (lo >>> 1) ^ -(lo & 1); }
    case "uint64": return unsigned64(...r.varint());
    case "int64": return signed64(...r.varint());
    case "sint64": return zigzag64(...r.varint());
    case "bool": { const [lo, hi] = r.varint(); return lo !== 0 || hi !== 0; }
    case "fixed32": { const v = r.view.getUint32(r.pos, true); r.bytes(4); return v; }
    case "sfixed32": { const v = r.view.getInt32(r.pos, true); r.bytes(4); return v; }
    case "float": { const v = r.view.getFloat32(r.pos, true); r.bytes(4); return v; }
    case "fixed64": { const lo = r.view.getUint32(r.pos, true); const hi = r.view.getUint32(r.pos + 4, true); r.bytes(8); return unsigned64(lo, hi); }
    case "sfixed64": { const lo = r.view.getUint32(r.pos, true); const hi = r.view.getUint32(r.pos + 4, true); r.bytes(8); return signed64(lo, hi); }
    case "double": { const v = r.view.getFloat64(r.pos, true); r.bytes(8); return v; }
    default: throw new Error(`protobuf: no scalar type ${type}`);
  }
}

/** The wire type a scalar of `type` is written with. */
function wireOf(type) {
  switch (type) {
    case "fixed64": case "sfixed64": case "double": return 1;
    case "string": case "bytes": case "message": return 2;
    case "fixed32": case "sfixed32": case "float": return 5;
    default: return 0;
  }
}

function defaultOf(type) {
  switch (type) {
    case "string": return "";
    case "bytes": return new Uint8Array(0);
    case "bool": return false;
    case "message": return null;
    default: return 0;
  }
}

/**
 * Decode `bytes` (a Uint8Array) as message `type`. Every field is present:
 * the default where absent (messages: null; proto3 `optional`: undefined;
 * repeated: []); a oneof's member is present only when set, and the oneof's
 * name holds which one it is (`event.msg === "update"`).
 */
export function decode(type, bytes) {
  return decodeFrom(type, new Reader(bytes));
}

function decodeFrom(type, r, end = r.buf.length) {
  const fields = fieldsOf(type);
  const msg = {};
  const byNumber = new Map();
  for (const f of fields) {
    const [number, name, ftype, flags, , oneof] = f;
    byNumber.set(number, f);
    if (flags & REPEATED) msg[name] = [];
    else if (flags & IN_ONEOF) msg[oneof] ??= null;
    else if (flags & OPTIONAL) msg[name] = undefined;
    else msg[name] = defaultOf(ftype);
  }
  while (r.pos < end) {
    const [key] = r.varint();
    const number = key >>> 3;
    const wire = key & 7;
    const f = byNumber.get(number);
    if (!f) {
      r.skip(wire);
      continue;
    }
    const [, name, ftype, flags, sub, oneof] = f;
    let value;
    if (ftype === "message") {
      if (wire !== 2) throw new Error(`protobuf: ${type}.${name} is not length-delimited`);
      const [len] = r.varint();
      const stop = r.pos + len;
      if (stop > end) throw new Error("protobuf: truncated message");
      value = decodeFrom(sub, r, stop);
      r.pos = stop;
    } else if (ftype === "string") {
      value = utf8.decode(r.lengthDelimited());
    } else if (ftype === "bytes") {
      value = r.lengthDelimited().slice();
    } else if (wire === 2 && wireOf(ftype) !== 2) {
      // Packed repeated scalars.
      const [len] = r.varint();
      const stop = r.pos + len;
      while (r.pos < stop) msg[name].push(readScalar(r, ftype));
      continue;
    } else {
      value = readScalar(r, ftype);
    }
    if (flags & REPEATED) {
      msg[name].push(value);
    } else {
      msg[name] = value;
      if (flags & IN_ONEOF) {
        // The last member seen wins; the one set before is gone.
        if (msg[oneof] !== null && msg[oneof] !== name) delete msg[msg[oneof]];
        msg[oneof] = name;
      }
    }
  }
  return msg;
}

// ---------------------------------------------------------------------------
// Encoding

class Writer {
  constructor() {
    this.buf = new Uint8Array(64);
    this.len = 0;
  }

  reserve(n) {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  byte(b) {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  raw(bytes) {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** A varint of the 64-bit value whose halves are `lo` and `hi`. */
  varint64(lo, hi) {
    lo >>>= 0;
    hi >>>= 0;
    while (hi !== 0 || lo > 0x7f) {
      this.byte((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.byte(lo);
  }

  /** A non-negative integer (up to 2^53). */
  varint(n) {
    this.varint64(n % TWO_32, Math.floor(n / TWO_32));
  }

  fixed(bytes, set) {
    const tmp = new DataView(new ArrayBuffer(bytes));
    set(tmp);
    this.raw(new Uint8Array(tmp.buffer));
  }

  done() {
    return this.buf.slice(0, this.len);
  }
}

function halves(n) {
  // Two's complement of an integer as 64 bits.
  if (n >= 0) return [n % TWO_32, Math.floor(n / TWO_32)];
  const m = -n;
  const lo = (~(m % TWO_32) + 1) >>> 0;
  const hi = (~Math.floor(m / TWO_32) + (lo === 0 ? 1 : 0)) >>> 0;
  return [lo, hi];
}

function writeScalar(w, type, v) {
  switch (type) {
    case "uint32": case "uint64": w.varint(Number(v)); break;
    case "int32": case "int64": case "enum": w.varint64(...halves(Number(v))); break;
    case "sint32": case "sint64": {
      const n = Number(v);
      w.varint(n >= 0 ? n * 2 : -n * 2 - 1);
      break;
    }
    case "bool": w.byte(v ? 1 : 0); break;
    case "fixed32": w.fixed(4, (d) => d.setUint32(0, v, true)); break;
    case "sfixed32": w.fixed(4, (d) => d.setInt32(0, v, true)); break;
    case "float": w.fixed(4, (d) => d.setFloat32(0, v, true)); break;
    case "double": w.fixed(8, (d) => d.setFloat64(0, v, true)); break;
    case "fixed64": case "sfixed64": {
      const [lo, hi] = halves(Number(v));
      w.fixed(8, (d) => { d.setUint32(0, lo, true); d.setUint32(4, hi, true); });
      break;
    }
    default: throw new Error(`protobuf: no scalar type ${type}`);
  }
}

function isDefault(type, v) {
  switch (type) {
    case "string": return v === "";
    case "bytes": return v.length === 0;
    case "bool": return !v;
    case "message": return false;
    default: return Number(v) === 0;
  }
}

/**
 * Encode `msg` (a plain object; absent, null and undefined fields are left
 * out, as are proto3 defaults) as message `type`: a Uint8Array. Unknown
 * properties are an error, so a typo cannot go unnoticed.
 */
export function encode(type, msg) {
  const w = new Writer();
  encodeInto(type, msg, w);
  return w.done();
}

function encodeInto(type, msg, w) {
  const fields = fieldsOf(type);
  const known = new Set();
  for (const [, name, , , , oneof] of fields) {
    known.add(name);
    if (oneof) known.add(oneof);
  }
  for (const key of Object.keys(msg)) {
    if (!known.has(key)) throw new Error(`protobuf: ${type} has no field ${key}`);
  }
  for (const [number, name, ftype, flags, sub] of fields) {
    const v = msg[name];
    if (v === undefined || v === null) continue;
    const wire = wireOf(ftype);
    if (flags & REPEATED) {
      if (v.length === 0) continue;
      if (wire !== 2) {
        // Packed.
        const inner = new Writer();
        for (const x of v) writeScalar(inner, ftype, x);
        const bytes = inner.done();
        w.varint((number << 3) | 2);
        w.varint(bytes.length);
        w.raw(bytes);
      } else {
        for (const x of v) writeOne(w, number, ftype, sub, x);
      }
      continue;
    }
    // A oneof member or an `optional` field is written when set, even if it
    // is the default: its presence is the information.
    if (!(flags & (IN_ONEOF | OPTIONAL)) && isDefault(ftype, v)) continue;
    writeOne(w, number, ftype, sub, v);
  }
}

function writeOne(w, number, ftype, sub, v) {
  w.varint((number << 3) | wireOf(ftype));
  if (ftype === "message") {
    const inner = new Writer();
    encodeInto(sub, v, inner);
    const bytes = inner.done();
    w.varint(bytes.length);
    w.raw(bytes);
  } else if (ftype === "string") {
    const bytes = toUtf8.encode(v);
    w.varint(bytes.length);
    w.raw(bytes);
  } else if (ftype === "bytes") {
    w.varint(v.length);
    w.raw(v);
  } else {
    writeScalar(w, ftype, v);
  }
}
