import { defineConfig } from "vite";

/**
 * `vite build web` (part of `npm run build`) writes the console to dist/web, which the server serves at `/`.
 * Everything is bundled: the page loads nothing from outside the service.
 */
export default defineConfig({
  base: "/",
  publicDir: false,
  build: {
    outDir: "../dist/web",
    emptyOutDir: true,
    manifest: true,
    target: "es2022",
    sourcemap: true,
    assetsInlineLimit: 0,
  },
});
