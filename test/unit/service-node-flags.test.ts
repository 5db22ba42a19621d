import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { serviceNodeFlags } from "../../bench/service-node-flags";

const root = path.join(__dirname, "..", "..");

const startFlags = () => serviceNodeFlags(root);

describe("the service's Node flags", () => {
  it("are the same in the Docker image as in npm start", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(fs.readFileSync(path.join(root, "Dockerfile"), "utf8"));
    expect(cmd).not.toBeNull();
    expect(JSON.parse(cmd![1])).toEqual(["node", ...startFlags(), "dist/src/main.js"]);
  });

  it("are flags this Node accepts (it refuses to start on a misspelt one)", () => {
    const run = spawnSync(process.execPath, [...startFlags(), "-e", "0"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});
