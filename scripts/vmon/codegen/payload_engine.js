// ---------------------------------------------------------------------------------------
// The codec engine (template: scripts/vmon/codegen/payload_engine.js), identical in
// behaviour to vmon.codec and the node's C codec: a bit stream, least significant bit
// first; byte 0 is the schema version (low 4 bits) and the record type (high 4 bits).
// Plain ES5, no require: it runs in The Things Stack's and ChirpStack's JavaScript engines.
// Errors are thrown as "REASON: message" (REASON: EMSGSIZE, ENOTSUP, ENOMSG, EINVAL,
// EBADMSG, ERANGE).

function vmonError(reason, message) {
  return new Error(reason + ": " + message);
}

function vmonIsInt(v) {
  return typeof v === "number" && isFinite(v) && Math.floor(v) === v;
}

function vmonRecords(direction) {
  var out = [];
  for (var i = 0; i < VMON_SCHEMA.messages.length; i++) {
    if (VMON_SCHEMA.messages[i].direction === direction) {
      out.push(VMON_SCHEMA.messages[i]);
    }
  }
  return out;
}

function vmonPut(bytes, state, n, v) {
  for (var i = 0; i < n; i++, state.pos++) {
    if (Math.floor(v / Math.pow(2, i)) % 2 === 1) {
      bytes[state.pos >> 3] |= 1 << (state.pos & 7);
    }
  }
}

function vmonGet(bytes, state, n) {
  var v = 0;
  for (var i = 0; i < n; i++, state.pos++) {
    if ((bytes[state.pos >> 3] >> (state.pos & 7)) & 1) {
      v += Math.pow(2, i);
    }
  }
  return v;
}

function vmonFieldBits(fields) {
  var n = 0;
  for (var i = 0; i < fields.length; i++) {
    n += fields[i].bits;
  }
  return n;
}

function vmonEncodeField(bytes, state, f, value, where) {
  var v = value;
  if (v === null || v === undefined) {
    if (f.none === null) {
      throw vmonError("EINVAL", where + " is required");
    }
    v = f.none;
  } else if (f["enum"] !== null && typeof v === "string") {
    v = VMON_SCHEMA.enums[f["enum"]].indexOf(v);
    if (v < 0) {
      throw vmonError("EINVAL", where + ": unknown " + f["enum"] + " '" + value + "'");
    }
  } else if (typeof v === "boolean" && f.bits === 1) {
    v = v ? 1 : 0;
  }
  if (!vmonIsInt(v)) {
    throw vmonError("EINVAL", where + " must be an integer");
  }
  if (!(f.none !== null && v === f.none) && (v < f.min || v > f.max)) {
    if (!f.saturate || f["enum"] !== null) {
      throw vmonError("ERANGE", where + " = " + v + " is outside " + f.min + ".." + f.max);
    }
    v = v < f.min ? f.min : f.max;
  }
  if (v < 0) {
    v += Math.pow(2, f.bits);
  }
  vmonPut(bytes, state, f.bits, v);
}

function vmonDecodeField(bytes, state, f, where) {
  var v = vmonGet(bytes, state, f.bits);
  if (f.signed && v >= Math.pow(2, f.bits - 1)) {
    v -= Math.pow(2, f.bits);
  }
  if (f.none !== null && v === f.none) {
    return null;
  }
  if (v < f.min || v > f.max) {
    throw vmonError("EINVAL", where + " = " + v + " is outside " + f.min + ".." + f.max);
  }
  if (f["enum"] !== null) {
    return VMON_SCHEMA.enums[f["enum"]][v];
  }
  return v;
}

function vmonEncode(record) {
  if (record === null || typeof record !== "object") {
    throw vmonError("EINVAL", "a record is an object with a 'type'");
  }
  var msg = null;
  for (var i = 0; i < VMON_SCHEMA.messages.length; i++) {
    if (VMON_SCHEMA.messages[i].name === record.type) {
      msg = VMON_SCHEMA.messages[i];
    }
  }
  if (msg === null) {
    throw vmonError("ENOMSG", "unknown record type '" + record.type + "'");
  }
  var known = { type: true };
  var bits = 8 + vmonFieldBits(msg.fields);
  var g;
  for (i = 0; i < msg.fields.length; i++) {
    known[msg.fields[i].name] = true;
  }
  if (msg.groups.length > 0) {
    bits += 8;
  }
  for (i = 0; i < msg.groups.length; i++) {
    g = msg.groups[i];
    known[g.name] = true;
    if (record[g.name] !== undefined && record[g.name] !== null) {
      bits += vmonFieldBits(g.fields);
    }
  }
  for (var key in record) {
    if (Object.prototype.hasOwnProperty.call(record, key) && !known[key]) {
      throw vmonError("EINVAL", msg.name + ": unknown field '" + key + "'");
    }
  }
  var bytes = [];
  for (i = 0; i < (bits + 7) >> 3; i++) {
    bytes.push(0);
  }
  var state = { pos: 0 };
  vmonPut(bytes, state, 8, VMON_SCHEMA.version + 16 * msg.type);
  for (i = 0; i < msg.fields.length; i++) {
    vmonEncodeField(bytes, state, msg.fields[i], record[msg.fields[i].name],
      msg.name + "." + msg.fields[i].name);
  }
  if (msg.groups.length > 0) {
    var mask = 0;
    for (i = 0; i < msg.groups.length; i++) {
      g = msg.groups[i];
      if (record[g.name] !== undefined && record[g.name] !== null) {
        mask += 1 << g.bit;
      }
    }
    vmonPut(bytes, state, 8, mask);
    for (i = 0; i < msg.groups.length; i++) {
      g = msg.groups[i];
      var sub = record[g.name];
      if (sub === undefined || sub === null) {
        continue;
      }
      if (typeof sub !== "object") {
        throw vmonError("EINVAL", msg.name + "." + g.name + " must be an object");
      }
      for (var k in sub) {
        var ok = false;
        for (var j = 0; j < g.fields.length; j++) {
          ok = ok || g.fields[j].name === k;
        }
        if (Object.prototype.hasOwnProperty.call(sub, k) && !ok) {
          throw vmonError("EINVAL", msg.name + "." + g.name + ": unknown field '" + k + "'");
        }
      }
      for (j = 0; j < g.fields.length; j++) {
        vmonEncodeField(bytes, state, g.fields[j], sub[g.fields[j].name],
          msg.name + "." + g.name + "." + g.fields[j].name);
      }
    }
  }
  return { bytes: bytes, fPort: msg.fport, type: msg.name };
}

function vmonDecode(bytes, direction, fPort) {
  if (!bytes || bytes.length === 0) {
    throw vmonError("EMSGSIZE", "empty payload");
  }
  if ((bytes[0] & 15) !== VMON_SCHEMA.version) {
    throw vmonError("ENOTSUP", "schema version " + (bytes[0] & 15) + ", this formatter reads " +
      VMON_SCHEMA.version);
  }
  var records = vmonRecords(direction);
  var msg = null;
  for (var i = 0; i < records.length; i++) {
    if (records[i].type === bytes[0] >> 4) {
      msg = records[i];
    }
  }
  if (msg === null) {
    throw vmonError("ENOMSG", "unknown " + direction + " record type " + (bytes[0] >> 4));
  }
  if (fPort !== undefined && fPort !== null && fPort !== msg.fport) {
    throw vmonError("ENOMSG", msg.name + " records use fPort " + msg.fport + ", not " + fPort);
  }
  var bits = 8 + vmonFieldBits(msg.fields) + (msg.groups.length > 0 ? 8 : 0);
  if (bytes.length * 8 < bits) {
    throw vmonError("EMSGSIZE", msg.name + ": " + bytes.length + " bytes is too short");
  }
  var out = { type: msg.name };
  var state = { pos: 8 };
  for (i = 0; i < msg.fields.length; i++) {
    out[msg.fields[i].name] = vmonDecodeField(bytes, state, msg.fields[i],
      msg.name + "." + msg.fields[i].name);
  }
  var mask = 0;
  var g;
  if (msg.groups.length > 0) {
    mask = vmonGet(bytes, state, 8);
    if (mask >= 1 << msg.groups.length) {
      throw vmonError("EINVAL", msg.name + ": unknown optional group in mask " + mask);
    }
    for (i = 0; i < msg.groups.length; i++) {
      g = msg.groups[i];
      if (mask & (1 << g.bit)) {
        bits += vmonFieldBits(g.fields);
      }
    }
  }
  if (bytes.length !== (bits + 7) >> 3) {
    throw vmonError("EMSGSIZE", msg.name + ": " + bytes.length + " bytes, expected " +
      ((bits + 7) >> 3));
  }
  for (i = 0; i < msg.groups.length; i++) {
    g = msg.groups[i];
    if (mask & (1 << g.bit)) {
      var sub = {};
      for (var j = 0; j < g.fields.length; j++) {
        sub[g.fields[j].name] = vmonDecodeField(bytes, state, g.fields[j],
          msg.name + "." + g.name + "." + g.fields[j].name);
      }
      out[g.name] = sub;
    }
  }
  for (var p = state.pos; p < bytes.length * 8; p++) {
    if ((bytes[p >> 3] >> (p & 7)) & 1) {
      throw vmonError("EBADMSG", msg.name + ": padding bits are not zero");
    }
  }
  return out;
}

// The network servers' entry points. The Things Stack reports "errors" in the result;
// ChirpStack v4 expects an exception.
function vmonResult(fn) {
  try {
    return fn();
  } catch (err) {
    if (VMON_FLAVOUR === "chirpstack") {
      throw err;
    }
    return { errors: [err.message], warnings: [] };
  }
}

function decodeUplink(input) {
  return vmonResult(function () {
    return { data: vmonDecode(input.bytes, "uplink", input.fPort), warnings: [] };
  });
}

function decodeDownlink(input) {
  return vmonResult(function () {
    return { data: vmonDecode(input.bytes, "downlink", input.fPort), warnings: [] };
  });
}

function encodeDownlink(input) {
  return vmonResult(function () {
    var rec = input.data;
    if (rec && rec.type === undefined) {
      rec = JSON.parse(JSON.stringify(rec));
      rec.type = "config";
    }
    var found = false;
    var records = vmonRecords("downlink");
    for (var i = 0; i < records.length; i++) {
      found = found || (rec && records[i].name === rec.type);
    }
    if (!found) {
      throw vmonError("ENOMSG", "not a downlink record type: " + (rec ? rec.type : rec));
    }
    var enc = vmonEncode(rec);
    return { bytes: enc.bytes, fPort: enc.fPort, warnings: [] };
  });
}

if (typeof module !== "undefined") {
  // Node.js (vmon's tests); the network servers have no module object.
  module.exports = { decodeUplink: decodeUplink, decodeDownlink: decodeDownlink,
    encodeDownlink: encodeDownlink, vmonEncode: vmonEncode, vmonDecode: vmonDecode };
}
