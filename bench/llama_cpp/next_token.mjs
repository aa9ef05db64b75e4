// llama.cpp's greedy next token after a list of token ids, to check that seek's GGUF files mean the same
// to llama.cpp as to seek (compare with `seek logits --model FILE --tokens IDS`, whose top id should match):
//   cd bench/llama_cpp && npm install && node next_token.mjs FILE.gguf 151646,100,2000 [THREADS=2]
// Prints one JSON line.
import {getLlama} from "node-llama-cpp";

const [modelPath, idsArg, threadsArg = "2"] = process.argv.slice(2);
if (!modelPath || !idsArg) {
  console.error("usage: node next_token.mjs FILE.gguf ID,ID,... [THREADS]");
  process.exit(2);
}
const ids = idsArg.split(",").map(Number);
const llama = await getLlama({gpu: false, build: "never"});
const model = await llama.loadModel({modelPath, useMmap: true});
const context = await model.createContext({contextSize: ids.length + 8, batchSize: ids.length, threads: Number(threadsArg)});
const sequence = context.getSequence();
for await (const token of sequence.evaluate(ids, {temperature: 0})) {
  console.log(JSON.stringify({model: modelPath, after: ids, next: token}));
  break;
}
process.exit(0);
