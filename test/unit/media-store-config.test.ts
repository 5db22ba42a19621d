import { ConfigError, loadConfig } from "../../src/config/config";

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe("MEDIA_STORE_URL and the AWS settings", () => {
  it("defaults to the filesystem store under DATA_DIR/media", () => {
    expect(loadConfig({ DATA_DIR: "/var/lib/cv" }).media.store).toEqual({ kind: "filesystem", root: "/var/lib/cv/media" });
  });

  it("takes file:///absolute/path", () => {
    expect(loadConfig({ MEDIA_STORE_URL: "file:///srv/recordings" }).media.store).toEqual({ kind: "filesystem", root: "/srv/recordings" });
  });

  it("takes s3://bucket/prefix with region, endpoint and path style", () => {
    const config = loadConfig({ MEDIA_STORE_URL: "s3://call-audio/eu/prod", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_S3: "http://minio:9000", S3_FORCE_PATH_STYLE: "true" });
    expect(config.media.store).toEqual({ kind: "s3", bucket: "call-audio", prefix: "eu/prod/", region: "eu-west-1", endpoint: "http://minio:9000", forcePathStyle: true });
    expect(loadConfig({ MEDIA_STORE_URL: "s3://call-audio", AWS_REGION: "us-east-1" }).media.store).toMatchObject({ prefix: "", endpoint: undefined, forcePathStyle: false });
  });

  it.each([
    [{ MEDIA_STORE_URL: "ftp://host/x" }, /MEDIA_STORE_URL must start with s3:\/\/ or file:\/\//],
    [{ MEDIA_STORE_URL: "not a url" }, /MEDIA_STORE_URL must be s3:\/\/bucket/],
    [{ MEDIA_STORE_URL: "s3://Bad_Bucket", AWS_REGION: "eu-west-1" }, /MEDIA_STORE_URL names an invalid bucket/],
    [{ MEDIA_STORE_URL: "s3://bucket/.hidden", AWS_REGION: "eu-west-1" }, /MEDIA_STORE_URL has an invalid key prefix/],
    [{ MEDIA_STORE_URL: "s3://key:secret@bucket", AWS_REGION: "eu-west-1" }, /MEDIA_STORE_URL takes no credentials/],
    [{ MEDIA_STORE_URL: "s3://bucket" }, /needs AWS_REGION/],
    [{ MEDIA_STORE_URL: "s3://bucket", AWS_REGION: "Europe West" }, /AWS_REGION must be a region name/],
    [{ MEDIA_STORE_URL: "s3://bucket", AWS_ENDPOINT_URL_S3: "minio:9000" }, /AWS_ENDPOINT_URL_S3/],
    [{ MEDIA_STORE_URL: "s3://bucket", AWS_REGION: "eu-west-1", S3_FORCE_PATH_STYLE: "maybe" }, /S3_FORCE_PATH_STYLE must be true or false/],
    [{ S3_FORCE_PATH_STYLE: "true" }, /S3_FORCE_PATH_STYLE only apply to an S3 store/],
    [{ INSTANCE_STALE_AFTER_MS: "10" }, /INSTANCE_STALE_AFTER_MS must be a whole number/],
    [{ MEDIA_SWEEP_INTERVAL_MS: "soon" }, /MEDIA_SWEEP_INTERVAL_MS must be a whole number/],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(problemsOf(env as Record<string, string>).join("\n")).toMatch(message);
  });
});
