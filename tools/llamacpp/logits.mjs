// llama.cpp (through node-llama-cpp's prebuilt CPU build) as a measuring stick:
// loads a GGUF, evaluates the given token ids, prints the raw logits of the
// next token after each position as JSON lines (one array per position).
// usage: node logits.mjs MODEL.gguf "id id id ..."
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
const [model_path, ids_text] = process.argv.slice(2);
const ids = ids_text.trim().split(/\s+/).map(Number);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: model_path});
const context = await model.createContext({contextSize: 512, batchSize: 512, threads: 2});
const seq = context.getSequence();
const input = ids.map(t => [t, {generateNext: {logits: true}}]);
const out = await seq.controlledEvaluate(input);
for (let i = 0; i < ids.length; i++) {
  const o = out[i];
  const m = o?.next?.logits;
  if (!m) { console.log("null"); continue; }
  const arr = [];
  for (const [tok, v] of m) arr[tok] = v;
  console.log(JSON.stringify(arr));
}
process.exit(0);
