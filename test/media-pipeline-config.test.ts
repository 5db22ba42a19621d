import os from "node:os";
import { ConfigError, loadConfig } from "../src/config/config";

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
};

describe("media pipeline settings", () => {
  it("default to a worker per core and a 100 ms pause guard band", () => {
    expect(loadConfig({}).mediaPipeline).toEqual({ workers: os.availableParallelism(), pauseGuardMs: 100 });
    expect(loadConfig({ MEDIA_WORKERS: "3", PAUSE_GUARD_MS: "0" }).mediaPipeline).toEqual({ workers: 3, pauseGuardMs: 0 });
  });

  it.each<[NodeJS.ProcessEnv, string]>([
    [{ MEDIA_WORKERS: "0" }, "MEDIA_WORKERS"],
    [{ MEDIA_WORKERS: "two" }, "MEDIA_WORKERS"],
    [{ MEDIA_WORKERS: "1.5" }, "MEDIA_WORKERS"],
    [{ MEDIA_WORKERS: "65" }, "MEDIA_WORKERS"],
    [{ PAUSE_GUARD_MS: "-1" }, "PAUSE_GUARD_MS"],
    [{ PAUSE_GUARD_MS: "500" }, "PAUSE_GUARD_MS"],
    [{ PAUSE_GUARD_MS: "100ms" }, "PAUSE_GUARD_MS"],
  ])("refuse %j with a message naming the variable", (env, variable) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(variable);
  });
});
