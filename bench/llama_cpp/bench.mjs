// llama.cpp's prefill and decode speed on a GGUF, for docs/PERFORMANCE.md beside `seek bench`:
//   cd bench/llama_cpp && npm install && node bench.mjs FILE.gguf [N_PROMPT=512] [N_GEN=32] [THREADS=2]
// Uses node-llama-cpp's prebuilt llama.cpp (CPU build, ggml picks its kernels for this CPU at run
// time). The prompt is N_PROMPT fixed token ids (the files from make_bench_gguf hold random weights
// and an embedded tokenizer: --tokenizer, and --split-kv-b 1 for DeepSeek-V2/V3, which current
// llama.cpp requires); decode is N_GEN greedy tokens after it. Prints one JSON line.
import {getLlama} from "node-llama-cpp";

const [modelPath, nPromptArg = "512", nGenArg = "32", threadsArg = "2"] = process.argv.slice(2);
if (!modelPath) {
  console.error("usage: node bench.mjs FILE.gguf [N_PROMPT] [N_GEN] [THREADS]");
  process.exit(2);
}
const nPrompt = Number(nPromptArg), nGen = Number(nGenArg), threads = Number(threadsArg);
const llama = await getLlama({gpu: false, build: "never"});
const model = await llama.loadModel({modelPath, useMmap: true});
const context = await model.createContext({contextSize: nPrompt + nGen + 8, batchSize: Math.min(nPrompt, 512), threads});
const sequence = context.getSequence();
const prompt = Array.from({length: nPrompt}, (_, i) => 100 + ((i * 7919) % 900));

let t0 = performance.now();
await sequence.evaluateWithoutGeneratingNewTokens(prompt);
const pp = nPrompt / ((performance.now() - t0) / 1000);
t0 = performance.now();
let generated = 0;
for await (const _ of sequence.evaluate([prompt[0]], {temperature: 0})) {
  if (++generated >= nGen) break;
}
const tg = generated / ((performance.now() - t0) / 1000);
console.log(JSON.stringify({model: modelPath, pp_tok_s: +pp.toFixed(2), tg_tok_s: +tg.toFixed(2), n_prompt: nPrompt,
                            n_gen: generated, threads, node_llama_cpp: "3.22.1"}));
process.exit(0);
