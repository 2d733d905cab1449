// Runs vmon's generated payload formatters for the Python tests: one JSON request per line
// on stdin, one JSON answer per line on stdout.
//   {"flavour": "tts", "op": "encode", "record": {...}}
//   {"flavour": "tts", "op": "decode", "bytes": [...], "direction": "uplink"}
//   {"flavour": "tts", "op": "call", "fn": "decodeUplink", "input": {...}}
"use strict";
const path = require("path");
const readline = require("readline");

const dir = process.argv[2];
const formatters = {
  tts: require(path.join(dir, "vmon_tts.js")),
  chirpstack: require(path.join(dir, "vmon_chirpstack.js")),
};

function reason(err) {
  const m = /^([A-Z]+): /.exec(err.message);
  return m ? m[1] : "THROWN " + err.message;
}

function handle(req) {
  const f = formatters[req.flavour];
  try {
    if (req.op === "encode") {
      return { ok: true, bytes: f.vmonEncode(req.record).bytes };
    }
    if (req.op === "decode") {
      return { ok: true, data: f.vmonDecode(req.bytes, req.direction, req.fPort) };
    }
    return { ok: true, result: f[req.fn](req.input) };
  } catch (err) {
    return { ok: false, reason: reason(err), message: err.message };
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  process.stdout.write(JSON.stringify(handle(JSON.parse(line))) + "\n");
});
