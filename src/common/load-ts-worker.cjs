// Runs a worker thread's TypeScript entry from source (tests under ts-jest, which do not build dist/): a
// require hook transpiles each .ts file as it is loaded. Builds never come here; they run the compiled .js.
// Contract: workerScript() (worker-script.ts) names this file and the entry, which its callers pass as `entry` in workerData.
const fs = require("node:fs");
const { workerData } = require("node:worker_threads");
const ts = require("typescript");

require.extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true },
  });
  module._compile(outputText, filename);
};

require(workerData.entry);
