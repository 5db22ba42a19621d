// tsc emits only .js from .ts: worker scripts (.mjs) that the service loads at run time are copied beside them.
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
fs.cpSync(path.join(root, "src"), path.join(root, "dist/src"), {
  recursive: true,
  filter: (source) => fs.statSync(source).isDirectory() || source.endsWith(".mjs"),
});
